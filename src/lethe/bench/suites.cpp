#include "lethe/bench/suites.h"

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/run_folder.h"
#include "lethe/embedded_configs.h"

namespace lethe::bench {

experiment::ExperimentConfig embedded_experiment(const std::string& name, const std::string& suite,
                                                 const std::vector<std::string>& overrides) {
  const auto c = suite_config({}, name, suite);
  return experiment::parse_experiment(c.toml, c.name, overrides);
}

experiment::ConfigSource suite_config(const SuiteArgs& args, const std::string& embedded_name, const std::string& suite) {
  // --config takes a file, or the name of an embedded config (emoji-unlearn-bench: the scratch
  // regime of the unlearning benchmark).
  if (!args.config.empty()) return experiment::config_source(args.config);
  const auto& configs = embedded_configs();
  auto it = configs.find(embedded_name);
  LETHE_CHECK(it != configs.end(), "bench {}: no embedded config '{}'", suite, embedded_name);
  return {"embedded:" + embedded_name, it->second};
}

std::optional<nlohmann::json> finished_run(const experiment::ExperimentConfig& cfg,
                                           const std::string& dir, const std::string& suite) {
  const RunFolder run(dir);
  if (!run.has_config()) return std::nullopt;
  auto resolved = cfg;
  LETHE_CHECK(run.holds_config(config::to_toml(resolved)),
              "bench {}: {} holds a run of another config; remove it or choose another --out", suite, dir);
  if (!run.finished()) return std::nullopt;
  return nlohmann::json::parse(read_file(run.summary()));
}

namespace {

void add_builtin_suites(Registry<Suite>& r) {
  r.add("train_step", "samples/s and GFLOP/s of a small-CLIP training step vs the matmul peak",
        train_step_suite);
  r.add("federation",
        "rounds/s and peak RSS with 10, 100 and 1,000 clients per round (shapes); the split of an "
        "emoji FedAvg round into local training and federation overhead",
        federation_suite);
  r.add("eval", "retrieval R@1/5/10 both ways on a 20,000 x 20,000 gallery: time and peak memory",
        eval_suite);
  r.add("precision", "held-out R@1 of the same training run in bf16 and fp32, over seeds",
        precision_suite);
  r.add("data", "emoji training set ready from the image cache; batch assembly rate", data_suite);
  r.add("unlearning",
        "every unlearning method x request type (client, samples, concept) x seeds: R@1, gaps, "
        "AUC, MIA, cost vs retrain",
        unlearning_suite);
  r.add("creamfl",
        "CreamFL vs public-only, averaging, no regularisers, paired-only and FedAvg over seeds; "
        "peak RSS of a round with 20,000 public pairs",
        creamfl_suite);
  r.add("embed", "ViT-B-32 image and caption embedding throughput (lethe embed's forward) vs PyTorch",
        embed_suite);
#ifdef LETHE_WITH_GRPC
  register_deployment_suite(r);
#endif
}

}  // namespace

Registry<Suite>& suites() {
  static Registry<Suite> registry("benchmark suite", add_builtin_suites);
  return registry;
}

}  // namespace lethe::bench
