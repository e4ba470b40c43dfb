#pragma once
// Plain-text tables for the terminal.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "lethe/core/config.h"

namespace lethe::app {

// Renders rows under a header with aligned columns.
std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// The recall table of a summary.json "eval" object (one row per block).
std::string recall_table(const nlohmann::json& eval);

// The comparison table of an audit.json: original, retrain, then each method; R@1 per split,
// gaps to retrain, deleted-vs-remaining AUC, MIA AUC and cost as a fraction of retrain.
std::string audit_table(const nlohmann::json& audit);
// The multimodal LM's accuracy per question group (summary.json "lm").
std::string lm_accuracy_table(const nlohmann::json& lm);

// The same for a multimodal-LM audit (audit["kind"] = "mllm"): exact-match / multiple-choice
// accuracy per question group, the sum of the three acceptance gaps, cost.
std::string lm_audit_table(const nlohmann::json& audit);

// Every config key of a config struct (under `section` when given) with its value in `s`
// (the defaults, for a default-constructed struct) and its meaning, one per line.
std::string keys_table(const std::vector<config::FieldInfo>& fields);
template <class S>
std::string config_keys(S s, const std::string& section = {}) {
  std::vector<config::FieldInfo> fields;
  config::Describer d(&fields);
  if (section.empty()) s.visit(d);
  else d.section(section, s);
  return keys_table(fields);
}

// Adds `--help-config` to a subcommand: prints `text()` and exits 0.
void add_config_help(CLI::App* cmd, std::function<std::string()> text);

}  // namespace lethe::app
