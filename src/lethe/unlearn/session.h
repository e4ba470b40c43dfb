#pragma once
// `lethe unlearn`: load a finished federated run, turn a request into a forget set, obtain the
// retrain reference (cached), run each method, audit every model and write audit.json,
// the unlearned checkpoints and report.html.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

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

// Returns the audit document (also written to <out>/audit.json).
nlohmann::json run_unlearning(const SessionOptions& opts);

}  // namespace lethe::unlearn
