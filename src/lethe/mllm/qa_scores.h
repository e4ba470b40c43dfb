#pragma once
// What evaluating the multimodal LM measures, typed: per named question group, exact match
// (greedy decoding) and 4-way multiple choice, overall and per question kind.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace lethe::mllm {

struct QaScore {
  int64_t n = 0;      // questions
  double exact = 0;   // % answered exactly
  double choice = 0;  // % whose answer scores best of four candidates
  nlohmann::json to_json() const;  // {"n", "exact", "choice"}
  bool operator==(const QaScore&) const = default;
};

struct QaGroupScore {
  QaScore all;
  std::map<std::string, QaScore> by_question;  // question kind → its share of the group
  nlohmann::json to_json() const;  // all's fields and "by_question"
  bool operator==(const QaGroupScore&) const = default;
};

// Group name (vqa_forget, qa_retain, ...) → its scores.
using QaScores = std::map<std::string, QaGroupScore>;

nlohmann::json to_json(const QaScores& scores);

// The group's scores; InputError naming the group when it was not evaluated.
const QaGroupScore& group(const QaScores& scores, const std::string& name);

}  // namespace lethe::mllm
