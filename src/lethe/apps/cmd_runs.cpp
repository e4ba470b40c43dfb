// lethe runs list [DIR] | lethe runs show RUN: what the run folders under DIR hold (ARCHITECTURE.md
// "the run folder"): config, state, results and the deletion requests audited on them.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/apps/table.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/strings.h"
#include "lethe/experiment/experiment.h"

namespace lethe::app {

namespace {

namespace fs = std::filesystem;

// What one run folder holds, read without training anything.
struct RunInfo {
  std::string dir, name, mode, dataset, model, strategy, state, error;
  uint64_t seed = 0;
  int64_t rounds = 0, clients = 0;
  nlohmann::json summary;                             // summary.json, when finished
  std::vector<std::pair<std::string, std::string>> audits;  // request folder, audit.json path
};

nlohmann::json read_json(const std::string& path) {
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  LETHE_CHECK(!j.is_discarded(), "'{}' is not valid JSON", path);
  return j;
}

RunInfo inspect(const std::string& dir) {
  RunInfo r;
  r.dir = dir;
  const RunFolder run(dir);
  try {
    auto cfg = experiment::load_experiment(run.config(), {});
    r.name = cfg.run.name;
    r.mode = cfg.run.mode;
    r.seed = cfg.run.context.seed;
    r.dataset = cfg.data.name;
    r.model = cfg.model.init.empty() ? cfg.model.preset : cfg.model.init;
    if (experiment::is_federated(experiment::run_kind(cfg))) {
      r.strategy = cfg.fl.strategy;
      r.rounds = cfg.fl.rounds;
      r.clients = cfg.fl.clients;
    }
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  r.state = run.state();
  if (run.finished()) r.summary = read_json(run.summary());
  if (r.state == "interrupted") r.state += " (lethe train --resume)";
  r.audits = run.audits();
  return r;
}

std::string test_r1(const RunInfo& r) {
  const auto p = nlohmann::json::json_pointer("/eval/test/r1");
  return r.summary.contains(p) ? fmt::format("{:.2f}", r.summary[p].get<double>()) : "";
}

void list_runs(const std::string& root) {
  LETHE_CHECK(fs::is_directory(root), "runs folder '{}' does not exist", root);
  std::vector<std::string> dirs;
  if (RunFolder(root).has_config()) dirs.push_back(root);
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && RunFolder(e.path().string()).has_config()) dirs.push_back(e.path().string());
  std::sort(dirs.begin(), dirs.end());
  if (dirs.empty()) {
    std::cout << "no run folders in " << root << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : dirs) {
    const auto r = inspect(d);
    std::vector<std::string> requests;
    for (const auto& [req, path] : r.audits) requests.push_back(req);
    rows.push_back({d, r.error.empty() ? r.mode : "unreadable config",
                    r.strategy.empty() ? "" : fmt::format("{} x{} r{}", r.strategy, r.clients, r.rounds),
                    r.dataset, r.model, r.error.empty() ? std::to_string(r.seed) : "", r.state, test_r1(r),
                    join(requests, ", ")});
  }
  std::cout << render_table({"run", "mode", "federation", "data", "model", "seed", "state", "test R@1",
                             "unlearned"},
                            rows);
}

void show_run(const std::string& dir) {
  LETHE_CHECK(RunFolder(dir).has_config(), "'{}' is not a Lethe run folder (no config.toml)", dir);
  const auto r = inspect(dir);
  std::cout << "run       " << dir << "\n";
  if (!r.error.empty()) std::cout << "config    unreadable: " << r.error << "\n";
  else
    std::cout << fmt::format("config    {} ({}), {} on {}, seed {}\n", r.name, r.mode, r.model, r.dataset, r.seed);
  if (!r.strategy.empty())
    std::cout << fmt::format("federated {} clients, {} rounds of {}\n", r.clients, r.rounds, r.strategy);
  std::cout << "state     " << r.state << "\n";
  if (!r.summary.is_null()) {
    std::cout << fmt::format("trained   {:.0f} s, {} threads, {}, lethe {}\n", r.summary.value("train_wall_s", 0.0),
                             r.summary.value("threads", 0), r.summary.value("precision", std::string("?")),
                             r.summary.value("version", std::string("?")));
    if (r.summary.contains("eval")) std::cout << "\n" << recall_table(r.summary["eval"]);
    if (r.summary.contains("lm")) std::cout << "\nmultimodal LM\n" << lm_accuracy_table(r.summary["lm"]);
  }
  for (const auto& [req, path] : r.audits) {
    const auto audit = read_json(path);
    const bool lm = audit.value("kind", std::string()) == "mllm";
    std::cout << fmt::format("\ndeletion request {} ({} {}, manifest {})\n",
                             audit.value("request", req), audit.value("forget_size", int64_t{0}),
                             lm ? "image questions" : "pairs",
                             audit.value("manifest_sha256", std::string("?")).substr(0, 12))
              << (lm ? lm_audit_table(audit) : audit_table(audit)) << "audit:  " << path << "\n";
    const auto report = fs::path(path).parent_path() / "report.html";
    if (fs::exists(report)) std::cout << "report: " << report.string() << "\n";
  }
}

}  // namespace

void add_runs_command(CLI::App& app, Action* action) {
  auto* cmd = app.add_subcommand("runs", "summarise run folders: list them, or show one");
  cmd->require_subcommand(1);
  auto root = std::make_shared<std::string>("runs");
  auto* list = cmd->add_subcommand("list", "one line per run folder under DIR: mode, state, test R@1, requests");
  list->add_option("dir", *root, "folder holding run folders")->capture_default_str();
  list->callback([root, action] { *action = [root] { list_runs(*root); }; });
  auto run = std::make_shared<std::string>();
  auto* show = cmd->add_subcommand("show", "one run folder: config, state, recall and every audited request");
  show->add_option("run", *run, "the run folder")->required();
  show->callback([run, action] { *action = [run] { show_run(*run); }; });
}

}  // namespace lethe::app
