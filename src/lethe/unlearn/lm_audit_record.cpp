#include "lethe/unlearn/lm_audit_record.h"

#include <cmath>

namespace lethe::unlearn {

namespace {

nlohmann::json with_eval(const mllm::QaScores& eval) { return {{"eval", mllm::to_json(eval)}}; }

}  // namespace

nlohmann::json LmGap::to_json() const {
  return {{"forget_vqa", forget_vqa}, {"forget_qa", forget_qa}, {"retain_vqa", retain_vqa}, {"sum", sum()}};
}

nlohmann::json LmGaps::to_json() const { return {{"exact", exact.to_json()}, {"choice", choice.to_json()}}; }

LmGaps lm_gaps(const mllm::QaScores& model, const mllm::QaScores& reference, const mllm::QaScores& original) {
  auto gap = [&](double mllm::QaScore::*measure) {
    auto at = [&](const mllm::QaScores& s, const char* group) { return mllm::group(s, group).all.*measure; };
    return LmGap{std::abs(at(model, "vqa_forget") - at(reference, "vqa_forget")),
                 std::abs(at(model, "qa_forget") - at(original, "qa_forget")),
                 std::abs(at(model, "vqa_retain") - at(original, "vqa_retain"))};
  };
  return {gap(&mllm::QaScore::exact), gap(&mllm::QaScore::choice)};
}

nlohmann::json LmReferenceAudit::to_json() const {
  auto j = with_eval(eval);
  j["method"] = "retrain";
  j["wall_s"] = wall_s;
  j["from_cache"] = from_cache;
  return j;
}

nlohmann::json LmOriginalAudit::to_json() const {
  auto j = with_eval(eval);
  j["gap"] = gap.to_json();
  return j;
}

nlohmann::json LmMethodAudit::to_json() const {
  auto j = with_eval(eval);
  j["gap"] = gap.to_json();
  j.update(cost.to_json());  // the cost fields beside the measurements
  j["cost_ratio"] = cost_ratio;
  j["details"] = details;
  return j;
}

nlohmann::json LmAudit::to_json() const {
  return {{"kind", "mllm"},
          {"request", request},
          {"forget_entities", forget_entities},
          {"forget_size", forget_size},
          {"manifest_sha256", manifest_sha256},
          {"reference", reference.to_json()},
          {"original", original.to_json()},
          {"methods", methods_json(methods)}};
}

}  // namespace lethe::unlearn
