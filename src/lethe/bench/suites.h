#pragma once
// `lethe bench SUITE`: each suite measures, prints the machine and its figures, and writes
// <out>/<suite>.json. Suites are never part of the test suite.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lethe/core/registry.h"

namespace lethe::bench {

struct SuiteArgs {
  std::string out_dir;                 // where <suite>.json goes
  std::string config;                  // optional config file (suite-specific default if empty)
  std::vector<std::string> overrides;  // key=value
};

using Suite = std::function<nlohmann::json(const SuiteArgs&)>;
Registry<Suite>& suites();  // filled by register_builtin_suites()
void register_builtin_suites();

nlohmann::json train_step_suite(const SuiteArgs& args);
nlohmann::json federation_suite(const SuiteArgs& args);
nlohmann::json unlearning_suite(const SuiteArgs& args);
nlohmann::json eval_suite(const SuiteArgs& args);
nlohmann::json data_suite(const SuiteArgs& args);
nlohmann::json precision_suite(const SuiteArgs& args);

}  // namespace lethe::bench
