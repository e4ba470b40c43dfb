// CreamFL against its baselines on one pipeline (issue: CreamFL acceptance), over seeds:
// the full method, the server on the public set only, representation averaging instead of the
// ensemble, no regularisers, paired clients only (no uni-modal clients), and FedAvg of the
// server architecture over the paired clients' data plus the public set. Then the memory of one
// round with |P| = 20,000. Each run lands in <out>/creamfl/seed-<s>/<variant>; a finished run
// (summary.json) is reused, so an interrupted suite resumes.
#include <filesystem>
#include <iostream>
#include <map>

#include "lethe/bench/machine.h"
#include "lethe/bench/stats.h"
#include "lethe/bench/suites.h"
#include "lethe/core/fs.h"
#include "lethe/core/metrics.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/stopwatch.h"
#include "lethe/creamfl/partition.h"
#include "lethe/creamfl/train.h"
#include "lethe/experiment/federated.h"
#include "lethe/train/central.h"

namespace lethe::bench {
namespace {

struct CreamBenchOptions {
  std::string config = "emoji-creamfl";
  int64_t seeds = 3;
  std::vector<std::string> variants = {"creamfl", "public_only", "average",
                                       "no_reg",  "paired_only", "fedavg"};
  int64_t rounds = 0;      // 0 = the config's
  int64_t threads = 0;     // 0 = all cores
  bool memory = true;      // measure one round with memory_public public pairs
  int64_t memory_public = 20000;
  template <class V> void visit(V& v) {
    v("config", config, "embedded config of the federation (lethe bench --config FILE: that file)");
    v("seeds", seeds, "seeds 0..seeds-1 per variant").min(1);
    v("variants", variants,
      "creamfl, public_only, average, no_reg, paired_only, fedavg (FedAvg of the server model)");
    v("rounds", rounds, "federated rounds (0 = the config's)").min(0);
    v("threads", threads, "threads (0 = all cores)").min(0);
    v("memory", memory, "measure a round's peak RSS with memory_public public pairs");
    v("memory_public", memory_public, "public pairs of the memory round").min(2);
  }
};

const std::map<std::string, std::vector<std::string>> kVariants = {
    {"creamfl", {}},
    {"public_only", {"creamfl.paired_clients=0", "creamfl.image_clients=0",
                     "creamfl.text_clients=0", "creamfl.fashion_clients=0"}},
    {"average", {"creamfl.aggregation=average"}},
    {"no_reg", {"creamfl.regularizer=none"}},
    {"paired_only", {"creamfl.image_clients=0", "creamfl.text_clients=0", "creamfl.fashion_clients=0"}},
    {"fedavg", {}},
};

// FedAvg of the server architecture over the paired clients' pairs and the public set (one more
// client): homogeneous clients, the same data the paired clients and the server hold in CreamFL.
nlohmann::json run_fedavg(const experiment::ExperimentConfig& cfg, const std::string& dir) {
  auto w = experiment::make_workbench(cfg);
  auto cc = cfg.creamfl;
  cc.fashion_clients = 0;  // Fashion-MNIST is dealt from its own stream: the emoji split is the same
  const auto part = creamfl::make_cream_partition(cc, cfg.fl, w.ds, nullptr, w.ctx.seed());
  experiment::ClientData clients;
  for (const auto& p : part.parties)
    if (p.kind == creamfl::PartyKind::kPaired) clients.train.push_back(p.items), clients.val.emplace_back();
  clients.train.push_back(part.public_pairs), clients.val.emplace_back();
  make_dirs(dir);
  auto resolved = cfg;
  const RunFolder run(dir);
  write_file_atomic(run.config(), config::to_toml(resolved));  // the variant's own config
  MetricsWriter metrics(run.metrics());
  const Stopwatch clock;
  auto fcfg = cfg;
  fcfg.fl.strategy = "fedavg";
  fcfg.fl.evaluate_every = 0;
  experiment::run_federation(w.model, w.ds, w.text.tokens, clients, fcfg, w.ctx, dir, metrics,
                             {.server_eval = false});
  nlohmann::json summary = {
      {"train_wall_s", clock.seconds()},
      {"eval", train::evaluate_summary(w.model, w.ds, w.text.tokens, w.ds.train, cfg.eval, w.ctx)},
      {"training", {{"clients", clients.num_clients()}}}};
  write_file_atomic(run.summary(), summary.dump(2) + "\n");
  return summary;
}

// The federation's config (--config's file, else the embedded one) with `overrides`.
experiment::ExperimentConfig experiment_of(const SuiteArgs& args, const CreamBenchOptions& o,
                                           const std::vector<std::string>& overrides) {
  const auto c = suite_config(args, o.config, "creamfl");
  auto cfg = experiment::parse_experiment(c.toml, c.name, overrides);
  LETHE_CHECK(experiment::run_kind(cfg) == experiment::RunKind::kCreamFl,
              "bench creamfl: {} is not a federated CreamFL config (fl.strategy = '{}')",
              c.name, cfg.fl.strategy);
  return cfg;
}

nlohmann::json run_variant(const SuiteArgs& args, const CreamBenchOptions& o, const std::string& variant, int64_t seed,
                           const std::string& dir) {
  // The variants are compared on accuracy: no update history (the client shares' extra
  // backward passes would only slow them down; they do not change the trajectory).
  std::vector<std::string> overrides = {fmt::format("run.seed={}", seed),
                                        fmt::format("run.threads={}", o.threads), "fl.history_every=0",
                                        "fl.sketch_max_rank=0"};
  if (o.rounds > 0) overrides.push_back(fmt::format("fl.rounds={}", o.rounds));
  const auto& extra = kVariants.at(variant);
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  const auto cfg = experiment_of(args, o, overrides);
  if (auto summary = finished_run(cfg, dir, "creamfl")) return *summary;
  std::filesystem::remove_all(dir);
  if (variant == "fedavg") return run_fedavg(cfg, dir);
  return experiment::run_experiment(cfg, dir);
}

// Peak RSS of one round with `public_pairs` public pairs (procedural shapes, so that P can be
// that large), above the RSS just before the round (models and data loaded).
nlohmann::json memory_round(const SuiteArgs& args, const CreamBenchOptions& o, const std::string& dir) {
  const int64_t units = o.memory_public * 10 / 9 + 400;
  const auto cfg = experiment_of(
      args, o,
      {"data.name=shapes", fmt::format("data.shapes_train={}", units), "data.shapes_test=100",
       "fl.partition=iid", "fl.rounds=1", "fl.local_steps=5", "creamfl.class_label=shape",
       "creamfl.public_fraction=0.9", "creamfl.val_fraction=0.0",
       fmt::format("creamfl.public_limit={}", o.memory_public), fmt::format("run.threads={}", o.threads)});
  auto w = experiment::make_workbench(cfg);
  std::filesystem::remove_all(dir);
  make_dirs(dir);
  MetricsWriter metrics(RunFolder(dir).metrics());
  double before = 0, peak = 0;
  creamfl::RoundProbe probe{[&](int64_t) { before = rss_mib(), reset_peak_rss(); },
                            [&](int64_t) { peak = peak_rss_mib(); }};
  const auto t = creamfl::train_creamfl(w.model, w.ds, w.text.tokens,
                                        {cfg.creamfl, cfg.fl, cfg.train, cfg.data}, w.ctx, dir,
                                        metrics, {.probe = probe});
  const double above = peak - before;
  std::cout << fmt::format("creamfl memory: |P| = {}, RSS before the round {:.0f} MiB, round peak "
                           "{:.0f} MiB: {:.0f} MiB above (bound 2048)\n",
                           t.public_pairs, before, peak, above);
  return {{"public_pairs", t.public_pairs}, {"rss_before_round_mib", before},
          {"round_peak_rss_mib", peak}, {"peak_above_mib", above}, {"bound_mib", 2048},
          {"within_bound", above <= 2048.0}, {"round_wall_s", t.wall_s}};
}

}  // namespace

nlohmann::json creamfl_suite(const SuiteArgs& args) {
  const auto o = read_suite_options<CreamBenchOptions>(args, "creamfl");
  for (const auto& v : o.variants)
    LETHE_CHECK(kVariants.count(v), "bench creamfl: unknown variant '{}'", v);
  experiment_of(args, o, {});  // config errors before any training
  Context ctx{ContextConfig{}};
  // First, while the process has trained nothing: freed heap of earlier federations would absorb
  // part of the round and understate its peak.
  const auto memory = o.memory ? memory_round(args, o, args.out_dir + "/creamfl/memory") : nlohmann::json();
  nlohmann::json rows = nlohmann::json::array();
  std::map<std::string, std::vector<double>> r1;
  for (int64_t seed = 0; seed < o.seeds; ++seed) {
    for (const auto& v : o.variants) {
      const auto dir = fmt::format("{}/creamfl/seed-{}/{}", args.out_dir, seed, v);
      std::cout << fmt::format("creamfl: {} seed {}\n", v, seed) << std::flush;
      const auto s = run_variant(args, o, v, seed, dir);
      const double test_r1 = s.at("eval").at("test").at("r1").get<double>();
      r1[v].push_back(test_r1);
      nlohmann::json row = {{"variant", v}, {"seed", seed}, {"test_r1", test_r1},
                            {"train_wall_s", s.at("train_wall_s")}};
      for (auto key : {"representation_bytes", "fedavg_weight_bytes", "final_val_r1"})
        if (s.at("training").contains(key)) row[key] = s.at("training").at(key);
      rows.push_back(row);
    }
  }
  nlohmann::json summary = nlohmann::json::object();
  std::string table = "| variant | test R@1 (apple) |\n|---|---|\n";
  for (const auto& v : o.variants) {
    summary[v] = {{"test_r1", stat_json(r1[v])}};
    table += fmt::format("| {} | {} |\n", v, stat_cell(summary[v]["test_r1"], 2));
  }
  // CreamFL minus each baseline, paired by seed.
  nlohmann::json margins = nlohmann::json::object();
  if (r1.count("creamfl"))
    for (const auto& v : o.variants) {
      if (v == "creamfl") continue;
      std::vector<double> d;
      for (size_t i = 0; i < r1[v].size(); ++i) d.push_back(r1["creamfl"][i] - r1[v][i]);
      margins[v] = stat_json(d);
    }
  std::cout << table;
  nlohmann::json out = {{"suite", "creamfl"},
                        {"machine", machine_info(ctx)},
                        {"config", {{"config", args.config.empty() ? "embedded:" + o.config : args.config}, {"seeds", o.seeds}, {"rounds", o.rounds},
                                    {"variants", o.variants}}},
                        {"results", rows},
                        {"summary", summary},
                        {"creamfl_minus", margins}};
  if (o.memory) out["memory"] = memory;
  write_file_atomic(args.out_dir + "/creamfl.md", "## CreamFL benchmark\n\n" + table);
  return out;
}

}  // namespace lethe::bench
