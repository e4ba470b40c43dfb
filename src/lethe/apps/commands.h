#pragma once
// Each subcommand lives in its own cmd_*.cpp and registers itself on the CLI11 app; the chosen
// one's action runs after parsing, so every error surfaces through main()'s single handler.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace lethe::app {

using Action = std::function<void()>;

void add_train_command(CLI::App& app, Action* action);
void add_eval_command(CLI::App& app, Action* action);
void add_data_command(CLI::App& app, Action* action);
void add_methods_command(CLI::App& app, Action* action);
void add_demo_command(CLI::App& app, Action* action);
void add_bench_command(CLI::App& app, Action* action);
void add_unlearn_command(CLI::App& app, Action* action);
void add_runs_command(CLI::App& app, Action* action);
void add_embed_command(CLI::App& app, Action* action);
void add_export_command(CLI::App& app, Action* action);
void add_pretrain_command(CLI::App& app, Action* action);

// Deployment (built with LETHE_WITH_GRPC).
void add_server_command(CLI::App& app, Action* action);
void add_client_command(CLI::App& app, Action* action);

}  // namespace lethe::app
