#pragma once
// Small seeded models and token batches shared by the models tests.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/models/clip.h"

namespace lethe::models::testing {

constexpr int64_t kVocab = 50;  // ids: 0 = pad, 1..47 words, 48 = <start_of_text>, 49 = <end_of_text>
constexpr int64_t kSot = kVocab - 2, kEot = kVocab - 1;

inline ClipConfig tiny_config(int64_t lora_rank = 0, std::vector<std::string> targets = {"attn"}) {
  ClipConfig c;
  c.preset = "tiny";
  c.vocab_size = kVocab;
  c.lora_rank = lora_rank;
  c.lora_targets = std::move(targets);
  return c.resolved();
}

inline Clip make_tiny(uint64_t seed, int64_t lora_rank = 0,
                      std::vector<std::string> targets = {"attn"}) {
  torch::manual_seed(seed);
  return Clip(tiny_config(lora_rank, std::move(targets)));
}

// One caption: <start_of_text> words <end_of_text>, then `pad` until `length`.
inline std::vector<int64_t> caption(std::vector<int64_t> words, int64_t length, int64_t pad = 0) {
  std::vector<int64_t> row = {kSot};
  row.insert(row.end(), words.begin(), words.end());
  row.push_back(kEot);
  while (static_cast<int64_t>(row.size()) < length) row.push_back(pad);
  return row;
}

inline torch::Tensor tokens(const std::vector<std::vector<int64_t>>& rows) {
  std::vector<torch::Tensor> ts;
  for (const auto& r : rows) ts.push_back(torch::tensor(r, torch::kLong));
  return torch::stack(ts);
}

// The message of the InputError that f throws (fails the test if none is thrown).
template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError thrown";
  return {};
}

}  // namespace lethe::models::testing
