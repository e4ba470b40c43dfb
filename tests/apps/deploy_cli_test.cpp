// `lethe server` and `lethe client` as real processes on loopback: the deployed run ends with
// the simulated run's weights, even when the server is killed and resumed in the middle.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "apps/cli_util.h"

using namespace lethe::testing::cli;

namespace {

// Starts `args` in the background with its output in dir/NAME.log; returns its pid.
int spawn(const std::string& args, const fs::path& dir, const std::string& name) {
  const auto pid_file = dir / (name + ".pid");
  const std::string cmd = lethe_bin() + " " + args + " >" + (dir / (name + ".log")).string() +
                          " 2>&1 & echo $! > " + pid_file.string();
  if (std::system(cmd.c_str()) != 0) return -1;
  return std::stoi(file_bytes(pid_file));
}

bool wait_for(const std::function<bool()>& done, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool running(int pid) { return std::system(("kill -0 " + std::to_string(pid) + " 2>/dev/null").c_str()) == 0; }

// A `lethe server` for d/c.toml into d/dep on 127.0.0.1 (any port), with its allow-list and the
// clients' token file written, and four `lethe client` processes. `extra` goes to the server.
struct Deployed {
  int server = -1;
  std::string address;  // empty if the server never wrote one (see d/server.log)
  std::vector<int> clients;
};

Deployed deploy(const fs::path& d, const std::string& extra) {
  write(d / "tokens", "* deploy-test-token-0123456789\n");
  write(d / "token", "deploy-test-token-0123456789\n");
  Deployed out;
  const auto dep = d / "dep";
  out.server = spawn("server --config " + (d / "c.toml").string() + " --out " + dep.string() +
                         " --listen 127.0.0.1:0 --insecure --tokens " + (d / "tokens").string() + extra,
                     d, "server");
  if (!wait_for([&] { return fs::exists(dep / "server_address"); }, 120)) return out;
  out.address = file_bytes(dep / "server_address");
  out.address.erase(out.address.find_last_not_of("\n") + 1);
  for (int k = 0; k < 4; ++k)
    out.clients.push_back(spawn("client --server " + out.address + " --client " + std::to_string(k) +
                                    " --token-file " + (d / "token").string() +
                                    " --insecure --connect-timeout 120",
                                d, "client" + std::to_string(k)));
  return out;
}

}  // namespace

TEST(DeployCli, ServerKilledAndResumedEndsWithTheSimulatedWeights) {
  auto d = tmp_dir("deploy");
  if (run("server --help", d).code != 0) GTEST_SKIP() << "built without LETHE_WITH_GRPC";
  write_federated_config(d / "c.toml", 4);
  auto sim = run("train --config " + (d / "c.toml").string() + " --out " + (d / "sim").string(), d);
  ASSERT_EQ(sim.code, 0) << sim.err;

  const auto dep = d / "dep";
  const auto deployed = deploy(d, " --heartbeat 0.2");
  const int server = deployed.server;
  const std::string& address = deployed.address;
  const std::vector<int>& clients = deployed.clients;
  ASSERT_FALSE(address.empty()) << file_bytes(d / "server.log");

  // Kill the server once round 1 is checkpointed, then resume it on the same address.
  ASSERT_TRUE(wait_for([&] { return fs::exists(dep / "checkpoints/round_0001.safetensors"); }, 300))
      << file_bytes(d / "server.log");
  ASSERT_EQ(std::system(("kill -9 " + std::to_string(server)).c_str()), 0);
  ASSERT_TRUE(wait_for([&] { return !running(server); }, 10));
  EXPECT_FALSE(fs::exists(dep / "summary.json"));
  auto resumed = run("server --resume " + dep.string() + " --listen " + address + " --tokens " +
                         (d / "tokens").string() + " --insecure --heartbeat 0.2",
                     d);
  ASSERT_EQ(resumed.code, 0) << resumed.err;

  // Every client heard STOP and exited cleanly.
  for (size_t k = 0; k < clients.size(); ++k) {
    EXPECT_TRUE(wait_for([&] { return !running(clients[k]); }, 30)) << "client " << k;
    EXPECT_NE(file_bytes(d / ("client" + std::to_string(k) + ".log")).find("task(s) answered"),
              std::string::npos)
        << file_bytes(d / ("client" + std::to_string(k) + ".log"));
  }
  EXPECT_EQ(file_bytes(dep / "checkpoints/final.safetensors"),
            file_bytes(d / "sim/checkpoints/final.safetensors"));
}

TEST(DeployCli, ClientProcessKilledMidRunIsDroppedAndTheRunCompletes) {
  auto d = tmp_dir("deploy_kill_client");
  if (run("server --help", d).code != 0) GTEST_SKIP() << "built without LETHE_WITH_GRPC";
  write_federated_config(d / "c.toml", 30);
  const auto dep = d / "dep";
  const auto deployed = deploy(d, " --heartbeat 0.2");
  const int server = deployed.server;
  const std::string& address = deployed.address;
  const std::vector<int>& clients = deployed.clients;
  ASSERT_FALSE(address.empty()) << file_bytes(d / "server.log");
  ASSERT_TRUE(wait_for([&] { return fs::exists(dep / "checkpoints/round_0002.safetensors"); }, 300))
      << file_bytes(d / "server.log");
  ASSERT_EQ(std::system(("kill -9 " + std::to_string(clients[3])).c_str()), 0);
  ASSERT_TRUE(wait_for([&] { return !running(server); }, 300));
  ASSERT_TRUE(fs::exists(dep / "summary.json")) << file_bytes(d / "server.log");
  // After the kill: at most one round lost client 3 mid-round (failed), then 3 of 3 answered.
  int64_t last_answered = 0, failed = 0, rounds = 0;
  std::ifstream metrics(dep / "metrics.jsonl");
  for (std::string line; std::getline(metrics, line);) {
    const auto e = nlohmann::json::parse(line);
    if (e.value("event", "") != "fl_round") continue;
    ++rounds;
    failed += e.at("failed").get<int64_t>();
    last_answered = e.at("answered").get<int64_t>();
    EXPECT_FALSE(e.at("skipped").get<bool>()) << line;
  }
  EXPECT_EQ(rounds, 30);
  EXPECT_LE(failed, 1);
  EXPECT_EQ(last_answered, 3);
}

TEST(DeployCli, BadInvocationsAreOneLineErrors) {
  auto d = tmp_dir("deploy_errors");
  if (run("server --help", d).code != 0) GTEST_SKIP() << "built without LETHE_WITH_GRPC";
  write_federated_config(d / "c.toml", 1);
  write(d / "tokens", "* deploy-test-token-0123456789\n");
  write(d / "short", "0 short\n");
  auto server = [&](const std::string& extra) {
    return run("server --config " + (d / "c.toml").string() + " --out " + (d / "r").string() +
                   " --tokens " + extra, d);
  };
  auto r = server((d / "tokens").string());  // neither TLS files nor --insecure
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--tls-cert"), std::string::npos) << r.err;
  r = server((d / "short").string() + " --insecure");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("shorter than 16"), std::string::npos) << r.err;
  // EASE's live settings are checked at start, not when the first request arrives.
  r = server((d / "tokens").string() + " --insecure unlearn.ease.tau_deg=200");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unlearn.ease.tau_deg"), std::string::npos) << r.err;
  r = server((d / "tokens").string() + " --insecure unlearn.ease_tua_deg=30");  // an old flat name, misspelt
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown config key 'unlearn.ease.tua_deg'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "r")) << "a refused start wrote the run folder";
  r = run("client --server 127.0.0.1:1 --client 0 --token x --insecure run.threads=1 run.seed=3", d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("run.threads, run.device and run.precision only"), std::string::npos) << r.err;
  r = run("client --server 127.0.0.1:1 --client 0 --insecure", d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--token"), std::string::npos) << r.err;
}

TEST(DeployCli, UnlearningRequestToARunningServerRemovesTheClientUnderTheLock) {
  auto d = tmp_dir("deploy_unlearn");
  if (run("server --help", d).code != 0) GTEST_SKIP() << "built without LETHE_WITH_GRPC";
  write_federated_config(d / "c.toml", 40);
  write(d / "admin", "admin-token-abcdefghijklmnop\n");
  write(d / "wrong", "admin-token-not-the-right-one\n");
  const auto dep = d / "dep";
  // τ = 30°: on this tiny IID federation client 0's largest principal angle to the others falls
  // from ~68° to ~58° as rounds go by (measured), and the request lands after a round that
  // depends on the machine's speed; at the default 65° the lock could be empty.
  const auto deployed = deploy(d, " --admin-token-file " + (d / "admin").string() + " unlearn.ease.tau_deg=30");
  const int server = deployed.server;
  const std::string& address = deployed.address;
  ASSERT_FALSE(address.empty()) << file_bytes(d / "server.log");
  ASSERT_TRUE(wait_for([&] { return fs::exists(dep / "checkpoints/round_0002.safetensors"); }, 300))
      << file_bytes(d / "server.log");

  const std::string unlearn = "unlearn --server " + address + " --insecure --forget client:0 ";
  auto refused = run(unlearn + "--method ease --admin-token-file " + (d / "wrong").string(), d);
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("wrong admin token"), std::string::npos) << refused.err;
  refused = run(unlearn + "--method finetune --admin-token-file " + (d / "admin").string(), d);
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("'ease' only"), std::string::npos) << refused.err;
  // Checked on receipt, not when the round ends: refused at once, whatever the round is doing.
  refused = run("unlearn --server " + address + " --insecure --forget client:-1 --method ease --admin-token-file " +
                    (d / "admin").string(), d);
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("client '-1' is not a non-negative integer"), std::string::npos) << refused.err;
  auto done = run(unlearn + "--method ease --admin-token-file " + (d / "admin").string(), d);
  ASSERT_EQ(done.code, 0) << done.err;
  const auto record = nlohmann::json::parse(file_bytes(d / "out.txt"));
  const int64_t after = record.at("after_round").get<int64_t>();
  EXPECT_GE(after, 2);
  EXPECT_LT(after, 40) << "the run ended before the request arrived";
  EXPECT_GT(record.at("lock_directions").get<int64_t>(), 0);
  EXPECT_EQ(record.at("details").at("gsd").at("tau_deg").get<double>(), 30.0);  // the server's setting
  EXPECT_EQ(record.at("removed_clients"), nlohmann::json::array({0}));

  ASSERT_TRUE(wait_for([&] { return !running(server); }, 300));
  ASSERT_TRUE(fs::exists(dep / "summary.json")) << file_bytes(d / "server.log");
  // Every later round ran without client 0, and the lock is in the final server state.
  int later = 0;
  std::ifstream metrics(dep / "metrics.jsonl");
  for (std::string line; std::getline(metrics, line);) {
    const auto e = nlohmann::json::parse(line);
    if (e.value("event", "") != "fl_round" || e.at("round").get<int64_t>() <= after) continue;
    EXPECT_EQ(e.at("sampled").get<int64_t>(), 3) << line;
    EXPECT_EQ(e.at("answered").get<int64_t>(), 3) << line;
    ++later;
  }
  EXPECT_EQ(later, 40 - after);
  EXPECT_NE(file_bytes(dep / "checkpoints/round_0040.json").find("forget_lock"), std::string::npos);
  EXPECT_TRUE(fs::exists(dep / ("unlearned/" + record.at("manifest_sha256").get<std::string>().substr(0, 16) +
                                "/record.json")));
}
