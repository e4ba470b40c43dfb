// lethe server --config FILE [--out DIR] [--resume DIR] --tokens FILE (--tls-cert F --tls-key F | --insecure) [key=value ...]
// Overrides under unlearn.* set EASE for `lethe unlearn --server` requests; the rest go to the config.
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/apps/table.h"
#include "lethe/apps/run_target.h"
#include "lethe/core/config.h"
#include "lethe/core/error.h"
#include "lethe/core/strings.h"
#include "lethe/rpc/deploy.h"

namespace lethe::app {

void add_server_command(CLI::App& app, Action* action) {
  struct Opts {
    std::string config, out, resume;
    rpc::ServerOptions server;
    int64_t min_clients = 0;
    std::string admin_token_file;
    std::vector<std::string> overrides;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("server", "run a federated config as a gRPC server for `lethe client` processes");
  cmd->add_option("--config", o->config, "TOML config file with run.mode = federated");
  cmd->add_option("--out", o->out, "run folder (default: runs/<run.name>)");
  cmd->add_option("--resume", o->resume, "continue the run in this folder from its last completed round");
  cmd->add_option("--listen", o->server.listen, "address to serve on, host:port (port 0: any free port)");
  cmd->add_option("--tokens", o->server.tokens, "client allow-list: lines 'CLIENT_ID TOKEN' ('*' = any id)")
      ->required();
  cmd->add_option("--tls-cert", o->server.tls.cert, "server certificate chain (PEM)");
  cmd->add_option("--tls-key", o->server.tls.key, "server private key (PEM)");
  cmd->add_option("--tls-client-ca", o->server.tls.client_ca, "CA for client certificates: mutual TLS");
  cmd->add_flag("--insecure", o->server.tls.insecure, "plain text, no TLS (trusted networks and tests only)");
  cmd->add_option("--deadline", o->server.deadline_s,
                  "seconds a round waits for its clients; later answers are dropped (0 = --round-timeout)");
  cmd->add_option("--round-timeout", o->server.round_timeout_s, "upper bound on a round's wait");
  cmd->add_option("--min-clients", o->min_clients, "clients that must join before the first round (0 = all)");
  cmd->add_option("--join-timeout", o->server.join_timeout_s, "seconds to wait for them");
  cmd->add_option("--heartbeat", o->server.heartbeat_s, "clients' heartbeat period; 5 missed = gone");
  cmd->add_option("--admin-token-file", o->admin_token_file,
                  "admin token (16+ characters) admitting `lethe unlearn --server` requests");
  cmd->add_option("overrides", o->overrides,
                  "config overrides, e.g. fl.rounds=20; unlearn.* sets EASE for live requests, e.g. unlearn.ease.tau_deg=45");
  cmd->callback([o, action] {
    *action = [o] {
      std::vector<std::string> config_overrides, unlearn_overrides;
      for (const auto& ov : o->overrides)
        (starts_with(ov, "unlearn.") ? unlearn_overrides : config_overrides).push_back(ov);
      // EASE's settings for live requests: the [unlearn] knobs of `lethe unlearn`, checked now,
      // not when the first request arrives.
      unlearn::UnlearnConfig live;
      auto doc = config::Document::from_string("", "the unlearn.* overrides");
      doc.apply_overrides(unlearn_overrides);
      doc.read_section("unlearn", live);
      doc.finish();
      const auto run = resolve_run_target(o->config, o->out, o->resume, config_overrides);
      auto opts = o->server;
      opts.min_clients = o->min_clients > 0 ? o->min_clients : run.cfg.fl.clients;
      if (!o->admin_token_file.empty()) {
        opts.admin_token = rpc::read_token_file(o->admin_token_file, "--admin-token-file");
        LETHE_CHECK(opts.admin_token.size() >= 16, "--admin-token-file '{}': token shorter than 16 characters",
                    o->admin_token_file);
      }
      auto summary = rpc::serve_experiment(run.cfg, run.out, opts, run.resume, live);
      std::cout << recall_table(summary["eval"]);
      std::cout << "run folder: " << run.out << " (" << summary["wall_s"].get<double>() << " s)\n";
    };
  });
}

}  // namespace lethe::app
