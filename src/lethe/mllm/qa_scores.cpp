#include "lethe/mllm/qa_scores.h"

#include "lethe/core/error.h"

namespace lethe::mllm {

nlohmann::json QaScore::to_json() const { return {{"n", n}, {"exact", exact}, {"choice", choice}}; }

nlohmann::json QaGroupScore::to_json() const {
  auto j = all.to_json();
  j["by_question"] = nlohmann::json::object();
  for (const auto& [q, s] : by_question) j["by_question"][q] = s.to_json();
  return j;
}

nlohmann::json to_json(const QaScores& scores) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, g] : scores) j[name] = g.to_json();
  return j;
}

const QaGroupScore& group(const QaScores& scores, const std::string& name) {
  auto it = scores.find(name);
  LETHE_CHECK(it != scores.end(), "no scores for question group '{}'", name);
  return it->second;
}

}  // namespace lethe::mllm
