#include "lethe/bench/suites.h"

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/embedded_configs.h"

namespace lethe::bench {

experiment::ExperimentConfig embedded_experiment(const std::string& name, const std::string& suite,
                                                 const std::vector<std::string>& overrides) {
  const auto c = suite_config({}, name, suite);
  return experiment::parse_experiment(c.toml, c.name, overrides);
}

SuiteConfig suite_config(const SuiteArgs& args, const std::string& embedded_name, const std::string& suite) {
  const auto& configs = embedded_configs();
  // --config takes a file, or the name of an embedded config (emoji-unlearn-bench: the scratch
  // regime of the unlearning benchmark).
  if (!args.config.empty() && (file_exists(args.config) || !configs.contains(args.config)))
    return {args.config, read_file(args.config)};
  if (!args.config.empty()) return {"embedded:" + args.config, configs.at(args.config)};
  auto it = configs.find(embedded_name);
  LETHE_CHECK(it != configs.end(), "bench {}: no embedded config '{}'", suite, embedded_name);
  return {"embedded:" + embedded_name, it->second};
}

std::optional<nlohmann::json> finished_run(const experiment::ExperimentConfig& cfg,
                                           const std::string& dir, const std::string& suite) {
  if (!file_exists(dir + "/config.toml")) return std::nullopt;
  auto resolved = cfg;
  LETHE_CHECK(read_file(dir + "/config.toml") == config::to_toml(resolved),
              "bench {}: {} holds a run of another config; remove it or choose another --out", suite, dir);
  if (!file_exists(dir + "/summary.json")) return std::nullopt;
  return nlohmann::json::parse(read_file(dir + "/summary.json"));
}

Registry<Suite>& suites() {
  static Registry<Suite> r("benchmark suite");
  return r;
}

void register_builtin_suites() {
  auto& r = suites();
  if (r.contains("train_step")) return;
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
}

}  // namespace lethe::bench
