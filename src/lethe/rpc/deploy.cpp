#include "lethe/rpc/deploy.h"

#include <algorithm>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/strings.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/experiment/federated.h"
#include "lethe/fl/federation.h"
#include "lethe/rpc/security.h"
#include "lethe/unlearn/audit.h"
#include "lethe/unlearn/forget_set.h"
#include "lethe/unlearn/request.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::rpc {

unlearn::Request check_live_request(const experiment::ExperimentConfig& cfg, int64_t num_clients,
                                    const std::string& text, const std::string& method) {
  // Runs on gRPC threads: serve_experiment fills the registry before serving, so that this call
  // (for other callers) only reads it there.
  unlearn::unlearners().get(method);  // an unknown name lists the valid ones
  LETHE_CHECK(method == "ease",
              "a running federation honours method 'ease' only, not '{}': the others need rounds of "
              "their own (run `lethe unlearn --run` on the run folder)", method);
  LETHE_CHECK(cfg.model.init.empty(),
              "a running federation started from pretrained weights (model.init) cannot unlearn "
              "live yet: run `lethe unlearn --run` on the run folder");
  const auto request = unlearn::parse_request(text);
  LETHE_CHECK(request.is_client(),
              "a running federation honours client:K requests only; '{}' needs the holders' data", text);
  LETHE_CHECK(request.client < num_clients, "request '{}': client {} does not exist (clients 0..{})",
              text, request.client, num_clients - 1);
  return request;
}

namespace {

// EASE on the running federation, between two rounds: GSD on the stored sketches and the
// closed-form excision of the client's stored contribution, all server-side from the update
// history (no client data); then the federation's own next rounds, without the client and under
// the Forget Lock the server enforces on every update, are EASE's recovery.
nlohmann::json unlearn_live(fl::Federation& fed, const experiment::RunScope& scope,
                            const unlearn::UnlearnConfig& live, const std::string& text,
                            const std::string& method) {
  const auto request = check_live_request(scope.cfg, scope.clients.num_clients(), text, method);
  const auto removed = fed.removed_clients();
  LETHE_CHECK(!std::binary_search(removed.begin(), removed.end(), request.client),
              "request '{}': client {} already left the federation (unlearned earlier)", text,
              request.client);
  const auto forget = unlearn::make_forget_set(request, scope.ds, scope.clients, scope.ctx.seed());
  auto u = live;
  u.ease.recovery_rounds = 0;  // the federation's next rounds recover, under the lock
  u.ease.bke = "none";         // BKE would train on the client's data
  const auto original = fed.global();
  const auto model_cfg = scope.model->config();
  const std::string dir = fmt::format("{}/unlearned/{}", scope.run_dir, forget.sha256.substr(0, 16));
  make_dirs(dir);
  const unlearn::UnlearnInputs in{scope.cfg, scope.ctx, scope.ds,  scope.tokens,   scope.clients, forget,
                                  original,  model_cfg, u,        scope.run_dir, dir};
  auto out = unlearn::honour_request(in, method);
  const double wall = out.cost.wall_s;
  const auto sha = unlearn::weights_sha256(out.weights);
  const int64_t directions = out.lock.directions();
  fed.apply_unlearning(std::move(out.weights), out.lock, forget.removed_clients);
  nlohmann::json record = {{"request", text},
                           {"method", method},
                           {"after_round", fed.round()},
                           {"manifest_sha256", forget.sha256},
                           {"forget_size", forget.forget.size()},
                           {"removed_clients", forget.removed_clients},
                           {"weights_sha256", sha},
                           {"lock_directions", directions},
                           {"wall_s", wall},
                           {"cost", out.cost.to_json()},
                           {"details", out.details}};
  write_file_atomic(dir + "/manifest.json", forget.manifest().dump(2) + "\n");
  write_file_atomic(dir + "/record.json", record.dump(2) + "\n");
  log::info("'{}' honoured with ease after round {}: {} lock directions; the next rounds recover "
            "without client(s) {}", text, fed.round(), directions, nlohmann::json(forget.removed_clients).dump());
  return record;
}

}  // namespace

nlohmann::json serve_experiment(const experiment::ExperimentConfig& cfg, const std::string& out_dir,
                                const ServerOptions& opts, bool resume,
                                const unlearn::UnlearnConfig& live) {
  LETHE_CHECK(experiment::is_federated(experiment::run_kind(cfg)),
              "lethe server runs federated configs; this one has run.mode = {}",
              cfg.run.mode);
  // Bad TLS files or allow-list fail now, before the run folder is written.
  server_credentials(opts.tls);
  TokenList::load(opts.tokens);
  auto resolved = cfg;
  const std::string toml = config::to_toml(resolved);
  experiment::RunOptions run;
  run.resume = resume;
  RpcTransport* served = nullptr;
  run.between_rounds = [&](fl::Federation& fed, const experiment::RunScope& scope) {
    served->serve_unlearning([&](const std::string& request, const std::string& method) {
      return unlearn_live(fed, scope, live, request, method);
    });
  };
  run.transport = [&](const experiment::ClientData& clients, const Context& ctx) {
    JoinInfo info;
    info.config_toml = toml;
    info.num_clients = clients.num_clients();
    info.seed = ctx.seed();
    info.assignment = [clients](int64_t k) {
      return nlohmann::json{{"client", k}, {"train", clients.train[k]}, {"val", clients.val[k]}}.dump();
    };
    const int64_t num_clients = info.num_clients;
    auto transport = std::make_unique<RpcTransport>(
        opts, std::move(info), [&cfg, num_clients](const std::string& request, const std::string& method) {
          check_live_request(cfg, num_clients, request, method);
        });
    served = transport.get();
    // Where clients reach this run (port 0 in --listen picks one): scripts read it from here.
    const auto host = opts.listen.substr(0, opts.listen.rfind(':'));
    write_file_atomic(RunFolder(out_dir).server_address(), fmt::format("{}:{}\n", host, transport->port()));
    return transport;
  };
  return experiment::run_experiment(cfg, out_dir, run);
}

namespace {

std::vector<int64_t> pair_ids(const nlohmann::json& a, const char* key, int64_t num_pairs) {
  LETHE_CHECK(a.contains(key) && a.at(key).is_array(), "the server's assignment lacks '{}'", key);
  std::vector<int64_t> ids;
  for (const auto& v : a.at(key)) {
    LETHE_CHECK(v.is_number_integer(), "the server's assignment has a non-integer pair id");
    const auto id = v.get<int64_t>();
    LETHE_CHECK(id >= 0 && id < num_pairs,
                "the server assigned pair {}, but this client's dataset has {} pairs (another data "
                "version?)", id, num_pairs);
    ids.push_back(id);
  }
  return ids;
}

}  // namespace

int64_t run_client(const ClientOptions& opts, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides)
    LETHE_CHECK(starts_with(o, "run.threads=") || starts_with(o, "run.device=") ||
                    starts_with(o, "run.precision="),
                "'{}': a client may override run.threads, run.device and run.precision only; the "
                "rest of the config is the server's", o);
  RemoteSession session(opts);
  const auto& joined = session.join();
  auto cfg = experiment::parse_experiment(joined.config_toml, "the server's config", overrides);
  auto w = experiment::make_workbench(cfg);
  const auto a = nlohmann::json::parse(joined.assignment_json, nullptr, false);
  LETHE_CHECK(a.is_object(), "the server's assignment is not a JSON object");
  std::vector<std::vector<int64_t>> train(joined.num_clients), val(joined.num_clients);
  train[opts.client] = pair_ids(a, "train", w.ds.num_pairs());
  val[opts.client] = pair_ids(a, "val", w.ds.num_pairs());
  log::info("client {}: {} training and {} validation pairs of {}", opts.client,
            train[opts.client].size(), val[opts.client].size(), cfg.data.name);
  experiment::ClipClient client(w.model, w.ds, w.text.tokens, std::move(train), std::move(val),
                                cfg.train, w.ctx, cfg.fl.client_optimizer == "keep");
  return session.serve(client);
}

}  // namespace lethe::rpc
