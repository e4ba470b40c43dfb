#pragma once
// `lethe unlearn`: load a finished federated run, turn a request into a forget set, obtain the
// retrain reference (cached), run each method, audit every model and write audit.json,
// the unlearned checkpoints and report.html.
#include <nlohmann/json.hpp>

#include <string>
#include <variant>
#include <vector>

#include "lethe/unlearn/audit_record.h"
#include "lethe/unlearn/lm_audit_record.h"
#include "lethe/unlearn/unlearn_config.h"

namespace lethe::unlearn {

struct SessionOptions {
  std::string run_dir;
  std::string request;                 // client:K | samples:K:F | samples:@FILE | concept:WORD
  std::vector<std::string> methods;    // registry names
  std::string out_dir;                 // default <run>/unlearn/<request slug>
  std::vector<std::string> overrides;  // unlearn.* and run.* (threads, precision) keys
  bool report = true;                  // write report.html (needs Chart.js from scripts/setup)
};

// A CLIP run's audit, or a multimodal-LM run's (run.mode = mllm, lm_session.h).
using AnyAudit = std::variant<Audit, LmAudit>;

// Honours the request with every method and returns the audit (also written to
// <out>/audit.json, with manifest.json, one checkpoint per method and report.html).
AnyAudit run_unlearning(const SessionOptions& opts);

// audit.json's document.
nlohmann::json to_json(const AnyAudit& audit);

}  // namespace lethe::unlearn
