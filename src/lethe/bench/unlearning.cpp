// Every unlearning method × request type × seed on one federated benchmark config (issue 10), or
// on a multimodal-LM config (run.mode = mllm: its own methods, default request entities:0.05):
// per seed, train the federated run (or reuse a finished one, so an interrupted benchmark
// resumes), then honour each request with all methods through `run_unlearning`, which caches
// the retrain reference of each request in the run folder. The audits are reduced to mean ±
// std over seeds (unlearning_summary.h) and written as JSON and as markdown tables.
#include <algorithm>
#include <iostream>
#include <sstream>

#include <toml++/toml.h>

#include "lethe/bench/machine.h"
#include "lethe/bench/suites.h"
#include "lethe/bench/unlearning_summary.h"
#include "lethe/core/config.h"
#include "lethe/core/fs.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/stopwatch.h"
#include "lethe/core/strings.h"
#include "lethe/experiment/experiment.h"
#include "lethe/unlearn/creamfl_replay.h"
#include "lethe/unlearn/lm_methods.h"
#include "lethe/unlearn/request.h"
#include "lethe/unlearn/session.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::bench {
namespace {

// The paper regime (issue 31): LoRA on the frozen pretrained stand-in. The from-scratch regime is
// --config emoji-unlearn-bench.
constexpr const char* kDefaultConfig = "emoji-lora-bench";

struct UnlearningBenchOptions {
  std::vector<int64_t> seeds = {0, 1, 2};
  // One request of each type, and a second concept: "heart" names several emoji spread over
  // most clients of the default config's partition, "food" a theme of one emoji group.
  std::vector<std::string> requests = {"client:0", "samples:0:0.5", "concept:heart", "concept:food"};
  std::vector<std::string> methods;  // empty: every registered unlearner
  // Where the default method list includes the ablations (ease-no-gsd, ...): on the requests
  // where each changes its parent (relevant), on every request, or none. Named methods always run.
  std::string ablations = "relevant";
  bool methods_named = false;  // methods= given: run exactly those on every request
  // Everything else: config overrides; unlearn.* keys only reach `run_unlearning`.
  std::vector<std::string> train_overrides, unlearn_overrides;
};

std::vector<std::string> comma_list(const std::string& key, const std::string& value) {
  std::vector<std::string> out;
  for (const auto& part : split(value, ',')) {
    auto item = trim(part);
    LETHE_CHECK(!item.empty(), "bench unlearning: '{}={}' has an empty item", key, value);
    out.push_back(item);
  }
  return out;
}

// The suite's own keys (seeds=0,1,2 requests=client:0,concept:cat methods=ga,npo) are comma
// lists, not TOML, so they are taken out before the rest goes to the config.
UnlearningBenchOptions parse_options(const std::vector<std::string>& overrides) {
  UnlearningBenchOptions o;
  for (const auto& kv : overrides) {
    const auto eq = kv.find('=');
    LETHE_CHECK(eq != std::string::npos && eq > 0, "override '{}' is not of the form key=value", kv);
    const std::string key = trim(kv.substr(0, eq)), value = trim(kv.substr(eq + 1));
    if (key == "seeds") {
      o.seeds.clear();
      for (const auto& s : comma_list(key, value)) {
        size_t used = 0;
        int64_t seed = -1;
        try {
          seed = std::stoll(s, &used);
        } catch (const std::exception&) {
        }
        LETHE_CHECK(used == s.size() && seed >= 0, "bench unlearning: seed '{}' is not a non-negative integer", s);
        o.seeds.push_back(seed);
      }
    } else if (key == "requests") {
      o.requests = comma_list(key, value);
    } else if (key == "methods") {
      o.methods = comma_list(key, value);
    } else if (key == "ablations") {
      LETHE_CHECK(value == "relevant" || value == "all" || value == "none",
                  "bench unlearning: ablations='{}' is not one of relevant, all, none", value);
      o.ablations = value;
    } else if (key == "run.seed") {
      throw InputError("bench unlearning: set the seeds with seeds=0,1,2, not run.seed");
    } else if (starts_with(key, "unlearn.")) {
      o.unlearn_overrides.push_back(kv);
    } else {
      o.train_overrides.push_back(kv);
    }
  }
  auto unique = [](auto xs) {
    std::sort(xs.begin(), xs.end());
    return std::adjacent_find(xs.begin(), xs.end()) == xs.end();
  };
  LETHE_CHECK(unique(o.seeds), "bench unlearning: seeds name a seed twice");
  LETHE_CHECK(unique(o.requests), "bench unlearning: requests name a request twice");
  LETHE_CHECK(unique(o.methods), "bench unlearning: methods name a method twice");
  for (const auto& r : o.requests) unlearn::parse_request(r);
  return o;
}

// Defaults and method names against the registry of the run's kind (CLIP or multimodal LM); a
// CreamFL run's default leaves out the methods it cannot run (unlearn::creamfl_refusal).
void settle_methods(UnlearningBenchOptions& o, const experiment::ExperimentConfig& first, bool requests_given) {
  const auto kind = experiment::run_kind(first);
  const bool lm = kind == experiment::RunKind::kMultimodalLm;
  o.methods_named = !o.methods.empty();
  if (o.methods.empty()) {
    o.methods = lm ? unlearn::lm_unlearners().names() : unlearn::unlearners().names();
    if (kind == experiment::RunKind::kCreamFl)
      std::erase_if(o.methods, [&](const std::string& m) { return !unlearn::creamfl_refusal(first, m).empty(); });
  }
  for (const auto& m : o.methods) {
    if (lm) unlearn::lm_unlearners().get(m);  // unknown names fail now
    else unlearn::unlearners().get(m);
  }
  if (lm && !requests_given) o.requests = {"entities:0.05"};
}

// The finished run of `cfg` in `dir`: reused when its summary.json is there, resumed from its
// newest checkpoint when training was interrupted, else trained. A folder holding a run of
// another config is an error rather than silently mixed into the results.
nlohmann::json trained_run(const experiment::ExperimentConfig& cfg, const std::string& dir) {
  if (auto summary = finished_run(cfg, dir, "unlearning")) {
    std::cout << fmt::format("  reusing the finished run in {}\n", dir) << std::flush;
    return *summary;
  }
  const bool resume = RunFolder(dir).resumable();
  std::cout << fmt::format("  {} the run in {}\n", resume ? "resuming" : "training", dir)
            << std::flush;
  return experiment::run_experiment(cfg, dir, {.resume = resume});
}

// The training config as run (first seed), so that the JSON says which regime it measured
// (model.init, lora_rank, ...) without the TOML beside it.
nlohmann::json resolved_json(experiment::ExperimentConfig cfg) {
  std::ostringstream os;
  os << toml::json_formatter{toml::parse(config::to_toml(cfg))};
  return nlohmann::json::parse(os.str());
}

// The methods of one request: the ablations of the default list only where o.ablations says.
std::vector<std::string> request_methods(const UnlearningBenchOptions& o, const std::string& request) {
  if (o.methods_named || o.ablations == "all") return o.methods;
  const auto r = unlearn::parse_request(request);
  std::vector<std::string> out;
  for (const auto& m : o.methods)
    if (!unlearn::is_ablation(m) || (o.ablations == "relevant" && unlearn::ablation_applies(m, r)))
      out.push_back(m);
  return out;
}

}  // namespace

nlohmann::json unlearning_suite(const SuiteArgs& args) {
  const Stopwatch total_clock;
  auto o = parse_options(args.overrides);
  const bool requests_given = std::any_of(args.overrides.begin(), args.overrides.end(),
                                          [](const std::string& kv) { return starts_with(kv, "requests="); });
  const auto suite_cfg = suite_config(args, kDefaultConfig, "unlearning");
  const auto& config_name = suite_cfg.name;
  // The config's [unlearn] settings first, so that the command line's unlearn.* overrides win.
  const auto split = experiment::split_unlearn_section(suite_cfg.toml, config_name);
  const auto& config_toml = split.training;
  o.unlearn_overrides.insert(o.unlearn_overrides.begin(), split.unlearn_overrides.begin(),
                             split.unlearn_overrides.end());
  auto config_of = [&](int64_t seed) {
    auto overrides = o.train_overrides;
    overrides.push_back(fmt::format("run.seed={}", seed));
    auto cfg = experiment::parse_experiment(config_toml, config_name, overrides);
    LETHE_CHECK(experiment::run_kind(cfg) != experiment::RunKind::kCentral,
                "bench unlearning: {} is neither a federated nor a multimodal-LM config (run.mode = '{}')",
                config_name, cfg.run.mode);
    return cfg;
  };
  for (int64_t seed : o.seeds) config_of(seed);  // every config error before any training
  {  // the [unlearn] knobs too (the config's table and the command line's unlearn.* keys)
    auto knobs = config::Document::from_string("", config_name);
    knobs.apply_overrides(o.unlearn_overrides);
    unlearn::UnlearnConfig u;
    knobs.read_section("unlearn", u);
    knobs.finish();
  }
  const auto first = config_of(o.seeds.front());
  const bool lm = experiment::run_kind(first) == experiment::RunKind::kMultimodalLm;
  settle_methods(o, first, requests_given);

  std::vector<std::string> session_overrides = o.train_overrides;
  session_overrides.insert(session_overrides.end(), o.unlearn_overrides.begin(), o.unlearn_overrides.end());
  nlohmann::json runs = nlohmann::json::array();
  std::vector<SeedAudit> audits;
  const size_t total = o.seeds.size() * o.requests.size();
  for (int64_t seed : o.seeds) {
    const std::string dir = fmt::format("{}/unlearning/seed-{}", args.out_dir, seed);
    std::cout << fmt::format("unlearning: seed {}\n", seed) << std::flush;
    const auto summary = trained_run(config_of(seed), dir);
    runs.push_back({{"seed", seed}, {"run_dir", dir}, {"train_wall_s", summary.at("train_wall_s")},
                    {"eval", summary.at("eval")}});
    for (const auto& request : o.requests) {
      const Stopwatch request_clock;
      unlearn::SessionOptions so;
      so.run_dir = dir;
      so.request = request;
      so.methods = request_methods(o, request);
      so.overrides = session_overrides;
      so.report = false;
      auto audit = unlearn::to_json(unlearn::run_unlearning(so));  // reduced as the document audit.json holds
      const auto* what = lm ? "/eval/vqa_forget/exact" : "/forget/r1";
      const double orig = audit["original"][nlohmann::json::json_pointer(what)].get<double>();
      const double ref = audit["reference"][nlohmann::json::json_pointer(what)].get<double>();
      std::cout << fmt::format(
                       "unlearning: [{}/{}] seed {} {}: forget {} {}, forget {} original {:.2f} vs "
                       "retrain {:.2f} (gap {:+.2f}), {} methods in {:.0f} s\n",
                       audits.size() + 1, total, seed, request, audit["forget_size"].get<int64_t>(),
                       lm ? "image questions" : "pairs", lm ? "VQA" : "R@1", orig, ref, orig - ref,
                       so.methods.size(), request_clock.seconds())
                << std::flush;
      audits.push_back({seed, std::move(audit)});
    }
  }

  const auto aggregate = aggregate_unlearning(audits);
  const std::string rows_path = args.out_dir + "/results.json";
  write_file_atomic(rows_path, contract_rows(audits).dump(2) + "\n");
  const std::string md_path = args.out_dir + "/unlearning.md";
  write_file_atomic(md_path,
                    fmt::format("## Unlearning benchmark ({}, {} seeds)\n\nMean ± sample std over seeds; "
                                "R@1, accuracies and gaps in %, cost as wall time / the retrain reference's.\n\n{}",
                                config_name, o.seeds.size(), unlearning_markdown(aggregate)));
  std::cout << unlearning_markdown(aggregate) << "wrote " << md_path << " and " << rows_path << "\n";

  Context ctx(config_of(o.seeds.front()).run.context);
  return {{"suite", "unlearning"},
          {"machine", machine_info(ctx)},
          {"config", {{"file", config_name},
                      {"resolved", resolved_json(config_of(o.seeds.front()))},
                      {"seeds", o.seeds},
                      {"requests", o.requests},
                      {"methods", o.methods},
                      {"ablations", o.methods_named ? "as named" : o.ablations},
                      {"overrides", session_overrides}}},
          {"wall_s", total_clock.seconds()},
          {"runs", runs},
          {"per_seed", seed_rows(audits)},
          {"results", aggregate}};
}

}  // namespace lethe::bench
