// bf16 autocast against fp32 on quality: the same training run (same config, seed and number of
// steps) in both precisions, over several seeds; held-out R@1 and training time of each.
#include <filesystem>
#include <iostream>

#include "lethe/bench/machine.h"
#include "lethe/bench/stats.h"
#include "lethe/bench/suites.h"

namespace lethe::bench {
namespace {

struct PrecisionBenchOptions {
  std::string config = "emoji-central";
  int64_t seeds = 3;
  // The 16 px emoji proxy of docs/benchmarks.md (2–4 min per run instead of 9–18).
  bool proxy = true;
  int64_t threads = 0;  // 0 = all cores
  bool force = false;   // run even where bf16 is only emulated (hours on such a CPU)
  template <class V> void visit(V& v) {
    v("config", config, "embedded config trained in both precisions");
    v("seeds", seeds, "seeds per precision").min(1);
    v("proxy", proxy, "16 px, no skin tones, 16-token captions (the fast proxy)");
    v("threads", threads, "threads of each training run (0 = all cores)").min(0);
    v("force", force, "run even where bf16 is only emulated (several times slower than fp32)");
  }
};

}  // namespace

nlohmann::json precision_suite(const SuiteArgs& args) {
  const auto o = read_suite_options<PrecisionBenchOptions>(args, "precision");
  Context ctx{ContextConfig{}};
  if (!cpu_has_native_bf16() && !o.force) {
    const std::string why =
        "this CPU has no native bf16 (Lethe's `auto` precision trains in fp32 here) and emulated "
        "bf16 is several times slower than fp32; force=true runs it anyway";
    std::cout << "precision: skipped: " << why << "\n";
    return {{"suite", "precision"}, {"machine", machine_info(ctx)}, {"skipped", why}};
  }
  nlohmann::json rows = nlohmann::json::array();
  std::map<std::string, std::vector<double>> r1, wall;
  for (int64_t seed = 0; seed < o.seeds; ++seed) {
    for (std::string precision : {"fp32", "bf16"}) {
      std::vector<std::string> overrides = {"run.precision=" + precision,
                                            fmt::format("run.seed={}", seed),
                                            fmt::format("run.threads={}", o.threads)};
      if (o.proxy)
        overrides.insert(overrides.end(), {"data.image_size=16", "data.skin_tones=false",
                                           "model.context_length=16", "train.augment_shift=1",
                                           "train.num_merges=1000"});
      const auto cfg = embedded_experiment(o.config, "precision", overrides);
      const auto dir = fmt::format("{}/precision-{}-{}", args.out_dir, precision, seed);
      std::filesystem::remove_all(dir);
      std::cout << fmt::format("precision: {} seed {}\n", precision, seed) << std::flush;
      const auto summary = experiment::run_experiment(cfg, dir);
      std::filesystem::remove_all(dir);
      const double test_r1 = summary.at("eval").at("test").at("r1").get<double>();
      const double train_s = summary.at("train_wall_s").get<double>();
      r1[precision].push_back(test_r1);
      wall[precision].push_back(train_s);
      rows.push_back({{"precision", precision}, {"seed", seed}, {"test_r1", test_r1},
                      {"train_wall_s", train_s},
                      {"train_r1", summary.at("eval").at("train").at("r1")}});
    }
  }
  std::vector<double> diff;
  for (size_t i = 0; i < r1["fp32"].size(); ++i) diff.push_back(r1["bf16"][i] - r1["fp32"][i]);
  const auto f = spread(r1["fp32"]), b = spread(r1["bf16"]), d = spread(diff);
  const double speedup = spread(wall["fp32"]).mean / spread(wall["bf16"]).mean;
  std::cout << fmt::format("precision: test R@1 fp32 {:.2f} ± {:.2f}, bf16 {:.2f} ± {:.2f}, "
                           "bf16 − fp32 {:+.2f} ± {:.2f} over {} seeds; bf16 trains {:.2f}x faster\n",
                           f.mean, f.sd, b.mean, b.sd, d.mean, d.sd, o.seeds, speedup);
  return {{"suite", "precision"},
          {"machine", machine_info(ctx)},
          {"config", {{"config", o.config}, {"seeds", o.seeds}, {"proxy", o.proxy},
                      {"threads", o.threads}}},
          {"results", rows},
          {"summary",
           {{"fp32_test_r1_mean", f.mean}, {"fp32_test_r1_sd", f.sd},
            {"bf16_test_r1_mean", b.mean}, {"bf16_test_r1_sd", b.sd},
            {"bf16_minus_fp32_mean", d.mean}, {"bf16_minus_fp32_sd", d.sd},
            {"bf16_speedup", speedup}}}};
}

}  // namespace lethe::bench
