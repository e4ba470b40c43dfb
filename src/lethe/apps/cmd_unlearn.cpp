// lethe unlearn --run DIR --forget REQUEST --method NAME[,NAME...] [--out DIR] [key=value ...]
// lethe unlearn --server HOST:PORT --forget client:K --method ease --admin-token-file F (--tls-ca F | --insecure)
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/apps/table.h"
#include "lethe/core/error.h"
#include "lethe/core/strings.h"
#include "lethe/unlearn/session.h"
#ifdef LETHE_WITH_GRPC
#include "lethe/rpc/client.h"
#endif

namespace lethe::app {

void add_unlearn_command(CLI::App& app, Action* action) {
  struct Opts {
    unlearn::SessionOptions s;
    std::string methods;
    std::string server, admin_token_file, tls_ca, tls_server_name;
    bool insecure = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("unlearn", "honour a deletion request on a trained federated run and audit it");
  auto* run = cmd->add_option("--run", o->s.run_dir, "the federated run folder");
#ifdef LETHE_WITH_GRPC
  auto* server = cmd->add_option("--server", o->server,
                                 "a running `lethe server` (host:port): honour a client:K request "
                                 "there with ease, between two of its rounds");
  run->excludes(server);
  cmd->add_option("--admin-token-file", o->admin_token_file, "--server: the server's admin token");
  cmd->add_option("--tls-ca", o->tls_ca, "--server: CA that signed the server's certificate");
  cmd->add_option("--tls-server-name", o->tls_server_name, "--server: name in the server certificate");
  cmd->add_flag("--insecure", o->insecure, "--server: plain text");
#endif
  cmd->add_option("--forget", o->s.request, "client:K | samples:K:FRACTION | samples:@FILE | concept:WORD | entities:FRACTION (multimodal LM)")->required();
  cmd->add_option("--method", o->methods, "comma-separated methods (lethe methods lists them)")->required();
  cmd->add_option("--out", o->s.out_dir, "output folder (default <run>/unlearn/<request>)");
  cmd->add_option("overrides", o->s.overrides, "unlearn.* knobs, run.threads, ...");
  add_config_help(cmd, [] {
    return "unlearning knobs (key = default  meaning), as key=value overrides; run.threads and run.precision\n"
           "override the run's own settings:\n" +
           config_keys(unlearn::UnlearnConfig{}, "unlearn");
  });
  cmd->callback([o, action] {
    *action = [o] {
#ifdef LETHE_WITH_GRPC
      if (!o->server.empty()) {
        LETHE_CHECK(o->s.out_dir.empty() && o->s.overrides.empty(),
                    "--server: the running federation's own settings apply; drop --out and overrides");
        LETHE_CHECK(!o->admin_token_file.empty(), "--server needs --admin-token-file");
        rpc::ClientTls tls;
        tls.ca = o->tls_ca;
        tls.server_name = o->tls_server_name;
        tls.insecure = o->insecure;
        const auto record =
            rpc::request_unlearning(o->server, tls, rpc::read_token_file(o->admin_token_file, "--admin-token-file"),
                                    o->s.request, o->methods);
        std::cout << record.dump(2) << "\n";
        return;
      }
#endif
      LETHE_CHECK(!o->s.run_dir.empty(), "give --run (a run folder) or --server (a running federation)");
      o->s.methods = split(o->methods, ',');
      const auto audit = unlearn::to_json(unlearn::run_unlearning(o->s));  // the CLI prints the document
      if (audit.value("kind", std::string()) == "mllm") {
        std::cout << "request " << audit["request"].get<std::string>() << ": forget the images of "
                  << audit["forget_entities"] << " emoji\n"
                  << lm_audit_table(audit);
        return;
      }
      std::cout << "request " << audit["request"].get<std::string>() << ": forget "
                << audit["forget_size"] << " pairs, gallery " << audit["gallery_units"] << " units\n";
      std::cout << audit_table(audit);
    };
  });
}

}  // namespace lethe::app
