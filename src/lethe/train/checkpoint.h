#pragma once
// Model checkpoints: safetensors weights whose __metadata__ carries what is needed to rebuild
// and use the model on its own: the resolved model config (TOML), the tokenizer's merges and
// Lethe's version.
#include <string>

#include "lethe/core/tensor_map.h"
#include "lethe/models/clip.h"
#include "lethe/tokenize/bpe.h"

namespace lethe::train {

struct Checkpoint {
  TensorMap weights;
  models::ClipConfig model;  // resolved
  std::string merges;        // tokenizer merges file text
  std::map<std::string, std::string> metadata;
};

void save_checkpoint(const std::string& path, const TensorMap& weights,
                     const models::ClipConfig& model, const tokenize::BpeTokenizer& tokenizer,
                     std::map<std::string, std::string> extra = {});
// InputError naming the file for anything malformed or missing.
Checkpoint load_checkpoint(const std::string& path);

// A freshly initialised CLIP (deterministic in `seed`).
models::Clip make_model(const models::ClipConfig& resolved, uint64_t seed);
// The model a checkpoint describes, with its weights loaded.
models::Clip model_from_checkpoint(const Checkpoint& ck);

}  // namespace lethe::train
