#pragma once
// What an unlearning session on a multimodal-LM run measured (lm_session.h), typed: every
// model's accuracy on image and text questions about the forgotten emoji, the retained ones and
// the held-out vendor, the gaps the acceptance reads, and cost. to_json() writes audit.json
// ("kind": "mllm").
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "lethe/mllm/qa_scores.h"
#include "lethe/unlearn/audit_record.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

// One measure's (exact or 4-way choice) gaps, in accuracy points: forget_vqa to the retrain
// reference; forget_qa and retain_vqa to the model before unlearning (what must not change).
struct LmGap {
  double forget_vqa = 0, forget_qa = 0, retain_vqa = 0;
  double sum() const { return forget_vqa + forget_qa + retain_vqa; }
  nlohmann::json to_json() const;  // the fields and "sum"
};

struct LmGaps {
  LmGap exact, choice;
  nlohmann::json to_json() const;
};

LmGaps lm_gaps(const mllm::QaScores& model, const mllm::QaScores& reference, const mllm::QaScores& original);

struct LmReferenceAudit {
  mllm::QaScores eval;
  double wall_s = 0;
  bool from_cache = false;
  nlohmann::json to_json() const;
};

struct LmOriginalAudit {
  mllm::QaScores eval;
  LmGaps gap;
  nlohmann::json to_json() const;
};

struct LmMethodAudit {
  mllm::QaScores eval;
  LmGaps gap;
  Cost cost;
  double cost_ratio = 0;  // cost.wall_s / the reference's
  nlohmann::json details = nlohmann::json::object();
  nlohmann::json to_json() const;
};

struct LmAudit {
  std::string request;
  int64_t forget_entities = 0;  // emoji whose images are forgotten
  int64_t forget_size = 0;      // image questions about them (D_f)
  std::string manifest_sha256;
  LmReferenceAudit reference;
  LmOriginalAudit original;
  std::vector<std::pair<std::string, LmMethodAudit>> methods;  // in the order they ran
  nlohmann::json to_json() const;
};

}  // namespace lethe::unlearn
