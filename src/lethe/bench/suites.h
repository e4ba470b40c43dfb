#pragma once
// `lethe bench SUITE`: each suite measures, prints the machine and its figures, and writes
// <out>/<suite>.json. Suites are never part of the test suite.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lethe/core/config.h"
#include "lethe/core/registry.h"
#include "lethe/experiment/config_source.h"
#include "lethe/experiment/experiment.h"

namespace lethe::bench {

struct SuiteArgs {
  std::string out_dir;                 // where <suite>.json goes
  std::string config;                  // optional config file (suite-specific default if empty)
  std::vector<std::string> overrides;  // key=value
};

using Suite = std::function<nlohmann::json(const SuiteArgs&)>;

// A suite's options from its key=value arguments: the fields O::visit lists, any other key an
// InputError naming it.
template <class O>
O read_suite_options(const SuiteArgs& args, const std::string& suite) {
  auto doc = config::Document::from_string("", "bench " + suite);
  doc.apply_overrides(args.overrides);
  O o;
  doc.read(o);
  doc.finish();
  return o;
}

// The embedded configs/NAME.toml with `overrides`; an InputError naming the suite if there is
// no such config.
experiment::ExperimentConfig embedded_experiment(const std::string& name, const std::string& suite,
                                                 const std::vector<std::string>& overrides = {});
// The config text a training suite runs: --config's file or embedded config
// (experiment::config_source) when given, else the embedded configs/<embedded_name>.toml.
experiment::ConfigSource suite_config(const SuiteArgs& args, const std::string& embedded_name, const std::string& suite);
// The finished run of `cfg` in `dir` (its summary.json) if there is one; an InputError naming
// `dir` when it holds a run of another config, so results of two configs never mix.
std::optional<nlohmann::json> finished_run(const experiment::ExperimentConfig& cfg,
                                           const std::string& dir, const std::string& suite);
Registry<Suite>& suites();  // every suite of this build, from its first use
#ifdef LETHE_WITH_GRPC
void register_deployment_suite(Registry<Suite>& r);  // deployment.cpp: a gRPC federation on loopback
#endif

nlohmann::json train_step_suite(const SuiteArgs& args);
nlohmann::json federation_suite(const SuiteArgs& args);
nlohmann::json unlearning_suite(const SuiteArgs& args);
nlohmann::json eval_suite(const SuiteArgs& args);
nlohmann::json data_suite(const SuiteArgs& args);
nlohmann::json precision_suite(const SuiteArgs& args);
nlohmann::json creamfl_suite(const SuiteArgs& args);
nlohmann::json embed_suite(const SuiteArgs& args);

}  // namespace lethe::bench
