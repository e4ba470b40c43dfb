// `lethe bench deployment`: a deployed federation on loopback — this process serves, N
// `lethe client` child processes train — for a few rounds: round latency, bytes and the
// server's peak RSS, and whether every client was counted in every round. Built with gRPC only
// (LETHE_WITH_GRPC).
#include "lethe/bench/suites.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "lethe/bench/machine.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/stopwatch.h"
#include "lethe/rpc/deploy.h"

namespace lethe::bench {
namespace {

struct DeploymentBenchOptions {
  int64_t clients = 50;
  int64_t rounds = 3;
  int64_t pairs_per_client = 8;
  double join_timeout_s = 900.0;
  template <class V>
  void visit(V& v) {
    v("clients", clients, "client processes").in(1, 1000);
    v("rounds", rounds, "federated rounds").in(1, 1000);
    v("pairs_per_client", pairs_per_client, "training pairs per client (procedural shapes)").in(1, 10000);
    v("join_timeout_s", join_timeout_s, "how long the server waits for every client to join").min(1.0);
  }
};

std::string experiment_toml(const DeploymentBenchOptions& o) {
  return fmt::format(R"([run]
name = "bench-deployment"
mode = "federated"
seed = 0
threads = 1
[data]
name = "shapes"
image_size = 16
shapes_max_objects = 1
shapes_train = {0}
shapes_test = 100
[model]
preset = "tiny"
[train]
batch_size = 16
num_merges = 50
[eval]
train_units = 100
[fl]
strategy = "fedavg"
rounds = {1}
clients = {2}
partition = "iid"
min_units_per_client = 1
val_fraction = 0.0
fraction_fit = 1.0
local_epochs = 1
evaluate_every = 0
history_every = 1
sketch_max_rank = 4
checkpoint_every = 1
keep_checkpoints = 1
)",
                     o.clients * o.pairs_per_client, o.rounds, o.clients);
}

// `lethe client ...` as a child process of this binary, its output in `log`. posix_spawn, not
// fork: this process runs gRPC's threads, and a forked child may only exec.
pid_t spawn_client(const std::string& address, int64_t k, const std::string& token_file,
                   const std::string& log) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> argv = {self, "client", "--server", address, "--client", std::to_string(k),
                                   "--token-file", token_file, "--insecure", "--connect-timeout", "900"};
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  LETHE_ENSURE(rc == 0, "cannot start client {}: {}", k, std::strerror(rc));
  return pid;
}

}  // namespace

nlohmann::json deployment_suite(const SuiteArgs& args) {
  const auto o = read_suite_options<DeploymentBenchOptions>(args, "deployment");
  const std::string dir = args.out_dir + "/deployment-run";
  std::filesystem::remove_all(dir);
  make_dirs(dir + "/logs");
  std::random_device rd;
  const std::string token = fmt::format("{:08x}{:08x}{:08x}{:08x}", rd(), rd(), rd(), rd());
  write_file_atomic(dir + "/tokens", "* " + token + "\n");
  write_file_atomic(dir + "/token", token + "\n");
  const auto cfg = experiment::parse_experiment(experiment_toml(o), "bench deployment");

  rpc::ServerOptions server;
  server.listen = "127.0.0.1:0";
  server.tls.insecure = true;  // loopback; TLS is covered by the tests
  server.tokens = dir + "/tokens";
  server.min_clients = o.clients;
  server.join_timeout_s = o.join_timeout_s;

  // The clients start once the server has written its address.
  std::vector<pid_t> pids;
  std::thread launcher([&] {
    const std::string address_file = RunFolder(dir + "/run").server_address();
    for (int i = 0; i < 12000 && !file_exists(address_file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!file_exists(address_file)) return;
    std::string address = read_file(address_file);
    address.erase(address.find_last_not_of('\n') + 1);
    for (int64_t k = 0; k < o.clients; ++k)
      pids.push_back(spawn_client(address, k, dir + "/token", fmt::format("{}/logs/client-{}.log", dir, k)));
  });

  std::cout << fmt::format("deployment: serving {} client processes on loopback for {} rounds\n",
                           o.clients, o.rounds)
            << std::flush;
  reset_peak_rss();
  const double rss_start = rss_mib();
  const Stopwatch clock;
  nlohmann::json summary;
  std::string failure;
  try {
    summary = rpc::serve_experiment(cfg, dir + "/run", server, false);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  const double wall = clock.seconds();
  const double peak = peak_rss_mib();
  launcher.join();
  int64_t clean_exits = 0;
  for (pid_t pid : pids) {
    if (!failure.empty()) kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    clean_exits += WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  LETHE_ENSURE(failure.empty(), "bench deployment: the server failed: {}", failure);

  nlohmann::json rounds = nlohmann::json::array();
  bool every_client_counted = true;
  std::ifstream metrics(dir + "/run/metrics.jsonl");
  for (std::string line; std::getline(metrics, line);) {
    auto e = nlohmann::json::parse(line);
    if (e.value("event", "") != "fl_round") continue;
    every_client_counted &= e.at("answered").get<int64_t>() == o.clients;
    rounds.push_back({{"round", e.at("round")},
                      {"answered", e.at("answered")},
                      {"round_s", e.at("round_s")},
                      {"train_s", e.at("train_s")},
                      {"bytes_down", e.at("bytes_down")},
                      {"bytes_up", e.at("bytes_up")}});
  }
  every_client_counted &= static_cast<int64_t>(rounds.size()) == o.rounds;
  // Round 1 also waits for the clients to build their model and data after joining.
  double round_sum = 0, later_sum = 0;
  for (size_t i = 0; i < rounds.size(); ++i) {
    round_sum += rounds[i].at("round_s").get<double>();
    if (i > 0) later_sum += rounds[i].at("round_s").get<double>();
  }

  Context ctx(cfg.run.context);
  nlohmann::json out = {{"suite", "deployment"}, {"machine", machine_info(ctx)}};
  out["config"] = {{"clients", o.clients}, {"rounds", o.rounds}, {"pairs_per_client", o.pairs_per_client},
                   {"dataset", "shapes"}, {"preset", "tiny"}, {"transport", "gRPC, plain text on loopback"},
                   {"model_bytes", rounds.empty() ? 0 : rounds[0].at("bytes_down").get<int64_t>() / o.clients}};
  out["results"] = {{"every_client_counted", every_client_counted},
                    {"clients_exited_cleanly", clean_exits},
                    {"rounds", rounds},
                    {"mean_round_s", rounds.empty() ? 0.0 : round_sum / double(rounds.size())},
                    {"mean_round_after_first_s", rounds.size() < 2 ? 0.0 : later_sum / double(rounds.size() - 1)},
                    {"wall_s", wall},
                    {"server_rss_start_mib", rss_start},
                    {"server_peak_rss_mib", peak},
                    {"test_r1", summary.at("eval").at("test").at("r1")}};
  std::filesystem::remove_all(dir + "/run/checkpoints");
  std::cout << fmt::format(
      "deployment: {} clients x {} rounds, every client counted: {}, round 1 {:.2f} s (includes "
      "client start-up), later rounds {:.2f} s, server peak RSS {:.0f} MiB, {} of {} clients "
      "exited cleanly\n",
      o.clients, o.rounds, every_client_counted ? "yes" : "NO",
      rounds.empty() ? 0.0 : rounds[0].at("round_s").get<double>(),
      out["results"]["mean_round_after_first_s"].get<double>(), peak, clean_exits, o.clients);
  LETHE_ENSURE(every_client_counted, "bench deployment: not every client was counted in every round");
  return out;
}

void register_deployment_suite(Registry<Suite>& r) {
  r.add("deployment",
        "a gRPC federation on loopback: N client processes x a few rounds; round latency, bytes, "
        "server peak RSS",
        deployment_suite);
}

}  // namespace lethe::bench
