// Rounds/s and peak RSS of the simulated federation with 10, 100 and 1,000 clients per round
// at the same total data volume (procedural shapes). Peak RSS is a per-process high-water mark,
// so each point runs in its own child process (`lethe bench federation clients=N`) and the
// parent collects their JSON. Then the split of a real round's time (embedded
// configs/emoji-fedavg.toml, a few rounds) into clients' local optimisation and everything else
// the federation adds: loading θ^t, computing updates, history records and sketches, aggregation
// and checkpoints.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "lethe/bench/machine.h"
#include "lethe/bench/suites.h"
#include "lethe/core/config.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/experiment/experiment.h"

namespace lethe::bench {
namespace {

struct FederationBenchOptions {
  int64_t clients = 0;  // 0: every point in `points`, each in a child process
  std::vector<int64_t> points = {10, 100, 1000};
  int64_t pairs = 4000;  // training pairs shared by all clients, whatever their number
  int64_t rounds = 3;
  std::string preset = "small";
  std::string overhead_config = "emoji-fedavg";  // embedded config of the split ("" = skip)
  int64_t overhead_rounds = 2;
  template <class V>
  void visit(V& v) {
    v("clients", clients, "run one point in this process (0 = all points, one child each)").min(0);
    v("points", points, "clients per round of each point");
    v("pairs", pairs, "training pairs in total").min(20);
    v("rounds", rounds, "federated rounds per point").min(1);
    v("preset", preset, "model preset");
    v("overhead_config", overhead_config, "embedded config whose round time is split (\"\" = skip)");
    v("overhead_rounds", overhead_rounds, "rounds of the overhead split").min(1);
  }
};

// One point in this process: a federated shapes run where every client answers every round.
nlohmann::json run_point(const FederationBenchOptions& o, const std::string& dir) {
  const std::string toml = fmt::format(R"([run]
name = "bench-federation"
mode = "federated"
seed = 0
[data]
name = "shapes"
image_size = 32
shapes_train = {0}
shapes_test = 200
[model]
preset = "{1}"
[train]
batch_size = 32
lr = 1e-3
num_merges = 300
[eval]
train_units = 200
[fl]
strategy = "fedavg"
rounds = {2}
local_epochs = 1
clients = {3}
partition = "iid"
min_units_per_client = 1
val_fraction = 0.0
fraction_fit = 1.0
evaluate_every = 0
history_every = 0
sketch_max_rank = 0
checkpoint_every = {2}
keep_checkpoints = 1
)",
                                       o.pairs, o.preset, o.rounds, o.clients);
  auto cfg = experiment::parse_experiment(toml, "bench federation");
  const double rss_before = peak_rss_mib();
  auto summary = experiment::run_experiment(cfg, dir);
  const auto& totals = summary.at("training");
  const double wall = totals.at("wall_s").get<double>();
  return {{"clients_per_round", o.clients},
          {"pairs", o.pairs},
          {"pairs_per_client", static_cast<double>(o.pairs) / static_cast<double>(o.clients)},
          {"rounds", o.rounds},
          {"federation_wall_s", wall},
          {"rounds_per_s", static_cast<double>(o.rounds) / wall},
          {"peak_rss_mib", peak_rss_mib()},
          {"peak_rss_before_training_mib", rss_before},
          {"totals", totals}};
}

// A few rounds of an embedded federated config: where the round time goes.
nlohmann::json overhead_split(const FederationBenchOptions& o, const std::string& dir) {
  auto cfg = embedded_experiment(o.overhead_config, "federation",
                                 {fmt::format("fl.rounds={}", o.overhead_rounds),
                                  "fl.evaluate_every=0"});
  std::cout << fmt::format("federation: overhead split on {} ({} rounds)\n", o.overhead_config,
                           o.overhead_rounds)
            << std::flush;
  std::filesystem::remove_all(dir);
  auto summary = experiment::run_experiment(cfg, dir);
  std::filesystem::remove_all(dir);
  const auto& t = summary.at("training");
  const double wall = t.at("wall_s").get<double>() + t.at("checkpoint_s").get<double>();
  const double train = t.at("train_s").get<double>();
  return {{"config", o.overhead_config},
          {"rounds", o.overhead_rounds},
          {"clients", cfg.fl.clients},
          {"round_s", wall / double(o.overhead_rounds)},
          {"local_training_s", train},
          {"checkpoint_s", t.at("checkpoint_s")},
          {"overhead_s", wall - train},
          {"overhead_fraction", (wall - train) / wall},
          {"totals", t}};
}

// `lethe bench federation clients=N --out dir` in a child process; its federation.json.
nlohmann::json run_child(int64_t clients, const FederationBenchOptions& o, const std::string& dir) {
  make_dirs(dir);
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> argv = {self,
                                   "bench",
                                   "federation",
                                   "--out",
                                   dir,
                                   fmt::format("clients={}", clients),
                                   fmt::format("pairs={}", o.pairs),
                                   fmt::format("rounds={}", o.rounds),
                                   fmt::format("preset={}", o.preset)};
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::cout << fmt::format("federation: {} clients per round (child process)\n", clients)
            << std::flush;
  const pid_t pid = fork();
  LETHE_ENSURE(pid >= 0, "fork failed");
  if (pid == 0) {
    execv(self.c_str(), cargv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  LETHE_ENSURE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
               "the {}-client point of the federation benchmark failed (status {})", clients,
               status);
  std::ifstream in(dir + "/federation.json");
  return nlohmann::json::parse(in).at("results").at(0);
}

}  // namespace

nlohmann::json federation_suite(const SuiteArgs& args) {
  const auto o = read_suite_options<FederationBenchOptions>(args, "federation");
  LETHE_CHECK(!o.points.empty(), "bench federation: points is empty");

  Context ctx{ContextConfig{}};
  nlohmann::json out = {{"suite", "federation"}, {"machine", machine_info(ctx)}};
  out["config"] = {{"pairs", o.pairs}, {"rounds", o.rounds}, {"preset", o.preset},
                   {"dataset", "shapes"}, {"strategy", "fedavg"}, {"fraction_fit", 1.0}};
  nlohmann::json rows = nlohmann::json::array();
  if (o.clients > 0) {
    LETHE_CHECK(o.clients <= o.pairs, "bench federation: {} clients for {} pairs", o.clients,
                o.pairs);
    const std::string dir = args.out_dir + "/federation-run";
    rows.push_back(run_point(o, dir));
    std::filesystem::remove_all(dir);
  } else {
    for (int64_t n : o.points)
      rows.push_back(run_child(n, o, fmt::format("{}/federation-{}", args.out_dir, n)));
    for (int64_t n : o.points) std::filesystem::remove_all(fmt::format("{}/federation-{}", args.out_dir, n));
    const double base = rows.at(0).at("peak_rss_mib").get<double>();
    for (auto& r : rows) {
      r["peak_rss_ratio_to_first"] = r.at("peak_rss_mib").get<double>() / base;
      std::cout << fmt::format(
          "federation {:>5} clients/round: {:.3f} rounds/s, peak RSS {:.0f} MiB ({:.2f}x the {}-client "
          "point)\n",
          r.at("clients_per_round").get<int64_t>(), r.at("rounds_per_s").get<double>(),
          r.at("peak_rss_mib").get<double>(), r.at("peak_rss_ratio_to_first").get<double>(),
          o.points.front());
    }
  }
  out["results"] = rows;
  if (o.clients == 0 && !o.overhead_config.empty()) {
    auto split = overhead_split(o, args.out_dir + "/federation-overhead");
    std::cout << fmt::format(
        "federation overhead on {}: {:.1f} s per round, {:.1f} % outside local training "
        "(checkpoints {:.2f} s in all)\n",
        o.overhead_config, split.at("round_s").get<double>(),
        100.0 * split.at("overhead_fraction").get<double>(), split.at("checkpoint_s").get<double>());
    out["overhead"] = split;
  }
  return out;
}

}  // namespace lethe::bench
