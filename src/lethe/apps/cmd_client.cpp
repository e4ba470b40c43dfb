// lethe client --server HOST:PORT --client K (--token T | --token-file F) (--tls-ca F | --insecure) [run.key=value ...]
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/core/error.h"
#include "lethe/rpc/deploy.h"

namespace lethe::app {

void add_client_command(CLI::App& app, Action* action) {
  struct Opts {
    rpc::ClientOptions client;
    std::string token_file;
    std::vector<std::string> overrides;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("client", "join a `lethe server` as one client and train on its local data");
  cmd->add_option("--server", o->client.server, "server address host:port")->required();
  cmd->add_option("--client", o->client.client, "this client's id in the run")->required();
  cmd->add_option("--token", o->client.token, "token on the server's allow-list");
  cmd->add_option("--token-file", o->token_file, "file holding the token (keeps it out of `ps`)");
  cmd->add_option("--tls-ca", o->client.tls.ca, "CA certificate that signed the server's (PEM)");
  cmd->add_option("--tls-cert", o->client.tls.cert, "this client's certificate (PEM; mutual TLS)");
  cmd->add_option("--tls-key", o->client.tls.key, "this client's private key (PEM; mutual TLS)");
  cmd->add_option("--tls-server-name", o->client.tls.server_name, "name in the server certificate, if not the host dialled");
  cmd->add_flag("--insecure", o->client.tls.insecure, "plain text, no TLS (trusted networks and tests only)");
  cmd->add_option("--connect-timeout", o->client.connect_timeout_s, "seconds to keep trying to (re)join the server");
  cmd->add_option("overrides", o->overrides, "local run.threads / run.device / run.precision, e.g. run.threads=2");
  cmd->callback([o, action] {
    *action = [o] {
      auto opts = o->client;
      LETHE_CHECK(opts.token.empty() != o->token_file.empty(), "give one of --token and --token-file");
      if (!o->token_file.empty()) opts.token = rpc::read_token_file(o->token_file, "--token-file");
      const int64_t tasks = rpc::run_client(opts, o->overrides);
      std::cout << "client " << opts.client << ": " << tasks << " task(s) answered\n";
    };
  });
}

}  // namespace lethe::app
