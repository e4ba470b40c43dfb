// lethe: one binary, thin main. Exit 0 on success, 2 for a usage or input error (one line on
// stderr naming the flag, key, file or value), 1 for anything else.
#include <CLI/CLI.hpp>

#include <iostream>

#include "lethe/apps/commands.h"
#include "lethe/core/error.h"
#include "lethe/core/strings.h"
#include "lethe/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Lethe: federated multimodal learning with verifiable unlearning", "lethe"};
  app.set_version_flag("--version", std::string("lethe ") + lethe::kVersion);
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  app.footer("Every subcommand has --help; train, unlearn and demo also --help-config (config keys and defaults).");
  lethe::app::Action action;
  lethe::app::add_train_command(app, &action);
  lethe::app::add_eval_command(app, &action);
  lethe::app::add_unlearn_command(app, &action);
  lethe::app::add_data_command(app, &action);
  lethe::app::add_methods_command(app, &action);
  lethe::app::add_demo_command(app, &action);
  lethe::app::add_bench_command(app, &action);
  lethe::app::add_runs_command(app, &action);
  lethe::app::add_embed_command(app, &action);
  lethe::app::add_export_command(app, &action);
  lethe::app::add_pretrain_command(app, &action);
#ifdef LETHE_WITH_GRPC
  lethe::app::add_server_command(app, &action);
  lethe::app::add_client_command(app, &action);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "lethe: error: " << e.what() << " (see lethe --help)\n";
    return 2;
  }
  try {
    if (action) action();
    return 0;
  } catch (const lethe::InputError& e) {
    // printable(): a message quoting input bytes stays one valid UTF-8 line.
    std::cerr << "lethe: error: " << lethe::printable(e.what()) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    // LibTorch messages carry a C++ backtrace after the first line; keep the first.
    msg = msg.substr(0, msg.find('\n'));
    std::cerr << "lethe: error: " << lethe::printable(msg) << "\n";
    return 1;
  }
}
