#include "lethe/experiment/experiment.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <sstream>

#include <toml++/toml.h>

#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/metrics.h"
#include "lethe/core/rng.h"
#include "lethe/core/run_folder.h"
#include "lethe/creamfl/train.h"
#include "lethe/experiment/federated.h"
#include "lethe/experiment/standin.h"
#include "lethe/interop/pretrained_start.h"
#include "lethe/mllm/train.h"
#include "lethe/models/openclip.h"
#include "lethe/train/central.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/text.h"
#include "lethe/version.h"

namespace lethe::experiment {

SplitConfig split_unlearn_section(const std::string& toml_text, const std::string& name) {
  toml::table doc;
  try {
    doc = toml::parse(toml_text, name);
  } catch (const toml::parse_error&) {
    return {toml_text, {}};
  }
  const auto* table = doc["unlearn"].as_table();
  if (!table) return {toml_text, {}};
  SplitConfig out;
  // [unlearn] keys and its methods' tables ([unlearn.ease] tau_deg → unlearn.ease.tau_deg=…).
  std::function<void(const toml::table&, const std::string&)> flatten = [&](const toml::table& t,
                                                                          const std::string& prefix) {
    for (const auto& [key, value] : t) {
      const std::string path = prefix + "." + std::string(key.str());
      if (const auto* sub = value.as_table()) {
        flatten(*sub, path);
        continue;
      }
      LETHE_CHECK(!value.is_array(), "{}: [{}] {} must be a single value", name, prefix, key.str());
      std::ostringstream os;
      value.visit([&](const auto& v) { os << v; });
      out.unlearn_overrides.push_back(fmt::format("{}={}", path, os.str()));
    }
  };
  flatten(*table, "unlearn");
  doc.erase("unlearn");
  std::ostringstream os;
  os << doc;
  out.training = os.str();
  return out;
}

RunKind run_kind(const ExperimentConfig& cfg) {
  if (cfg.run.mode == "mllm") return RunKind::kMultimodalLm;
  if (cfg.run.mode == "central") return RunKind::kCentral;
  return cfg.fl.strategy == "creamfl" ? RunKind::kCreamFl : RunKind::kFederation;
}

ExperimentConfig parse_experiment(const std::string& toml_text, const std::string& name,
                                  const std::vector<std::string>& overrides) {
  auto doc = config::Document::from_string(split_unlearn_section(toml_text, name).training, name);
  doc.apply_overrides(overrides);
  ExperimentConfig cfg;
  doc.read(cfg);
  doc.finish();
  LETHE_CHECK(cfg.fl.strategy != "creamfl" || cfg.creamfl.distill_mode != "joint" ||
                  cfg.creamfl.server_public_epoch,
              "creamfl.distill_mode = \"joint\" distils during the server's public epoch: it needs "
              "creamfl.server_public_epoch = true");
  LETHE_CHECK(cfg.run.mode != "mllm" || (cfg.data.name == "emoji" && cfg.data.caption == "label"),
              "run.mode = \"mllm\" asks questions about emoji: it needs data.name = \"emoji\" and "
              "data.caption = \"label\" (got '{}', '{}')",
              cfg.data.name, cfg.data.caption);
  return cfg;
}

ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_experiment(read_file(path), path, overrides);
}

namespace {

models::ClipConfig resolve_model(const ExperimentConfig& cfg, int64_t vocab_size) {
  auto m = cfg.model.resolved();
  LETHE_CHECK(cfg.model.image_size == 0 || cfg.model.image_size == cfg.data.image_size,
              "config keys 'model.image_size' = {} and 'data.image_size' = {} disagree",
              cfg.model.image_size, cfg.data.image_size);
  m.image_size = cfg.data.image_size;
  LETHE_CHECK(m.image_size % m.patch_size == 0,
              "config key 'data.image_size' = {} is not a multiple of the patch size {}",
              m.image_size, m.patch_size);
  LETHE_CHECK(cfg.model.vocab_size == 0 || cfg.model.vocab_size == vocab_size,
              "config key 'model.vocab_size' = {} but the tokenizer has {} tokens",
              cfg.model.vocab_size, vocab_size);
  m.vocab_size = vocab_size;
  return m;
}

}  // namespace

Workbench make_workbench(const ExperimentConfig& cfg) {
  // Pretrained weights are read and checked before the data is loaded: a wrong path fails fast.
  std::optional<interop::PretrainedStart> start;
  if (!cfg.model.init.empty()) {
    LETHE_CHECK(cfg.run.mode != "mllm" && cfg.fl.strategy != "creamfl",
                "config key 'model.init' starts a CLIP from pretrained weights in central and "
                "weight-federated runs; {} runs build their models from scratch",
                cfg.run.mode == "mllm" ? "run.mode = \"mllm\"" : "fl.strategy = \"creamfl\"");
    start = interop::pretrained_start(cfg.model, cfg.data.image_size, data::data_root(cfg.data));
  }
  Workbench w{Context(cfg.run.context), data::load(cfg.data)};
  LETHE_CHECK(!w.ds.train.empty() && !w.ds.test.empty(), "dataset '{}' has an empty train or test split",
              cfg.data.name);
  const uint64_t seed = stream_seed(w.ctx.seed(), 0, -1, Stream::kInit);
  if (start) {
    w.text = train::encode_text(w.ds, std::move(start->tokenizer), start->arch.context_length);
    w.model_cfg = start->arch;
    w.model = train::make_model(w.model_cfg, seed);  // adapters drawn from the seed
    models::load_openclip(*w.model, start->weights);
  } else {
    w.text = train::learn_text(w.ds, cfg.train.num_merges, cfg.model.resolved().context_length);
    w.model_cfg = resolve_model(cfg, w.text.tokenizer.vocab_size());
    w.model = train::make_model(w.model_cfg, seed);
  }
  return w;
}

nlohmann::json run_experiment(const ExperimentConfig& cfg, const std::string& out_dir,
                              const RunOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  // Before anything is written: a new run never overwrites another one's files.
  const RunFolder run(out_dir);
  for (const auto& mark : {run.latest_round(), run.summary()})
    LETHE_CHECK(opts.resume || !file_exists(mark),
                "run folder '{}' already holds a run ({}): resume it or choose another --out", out_dir,
                mark.substr(out_dir.size() + 1));
  ensure_init_available(cfg);
  auto w = make_workbench(cfg);
  const Context& ctx = w.ctx;
  const data::Dataset& ds = w.ds;
  const auto& text = w.text;
  const auto& model_cfg = w.model_cfg;
  auto& model = w.model;

  make_dirs(out_dir);
  auto resolved = cfg;
  write_file_atomic(run.config(), config::to_toml(resolved));
  MetricsWriter metrics(run.metrics(), opts.resume);
  log::info("{} training of CLIP '{}' on {} ({} train / {} test pairs), {} threads, {}",
            cfg.run.mode, cfg.model.init.empty() ? cfg.model.preset : cfg.model.init, cfg.data.name,
            ds.train.size(), ds.test.size(),
            ctx.threads(), ctx.precision_name());

  // A pretrained start is measured before it trains: its zero-shot recall is what federated
  // adaptation has to improve on.
  nlohmann::json initial_eval;
  if (!cfg.model.init.empty() && !opts.resume)
    initial_eval = train::evaluate_summary(model, ds, text.tokens, ds.train, cfg.eval, ctx);
  nlohmann::json extra = nlohmann::json::object();
  nlohmann::json lm_eval;
  const auto kind = run_kind(cfg);
  if (kind == RunKind::kMultimodalLm) {
    LETHE_CHECK(!opts.resume && !opts.transport, "run.mode = \"mllm\" trains in one process and cannot resume");
    const auto world = mllm::make_world(ds);
    const mllm::LmSetup setup{ds, world, text.tokens, model_cfg, cfg.train, cfg.mllm, ctx};
    auto lm = mllm::train_lm(setup, {}, metrics, &model);
    mllm::save_lm(run.lm_checkpoint(), lm);
    lm_eval = mllm::to_json(
        mllm::evaluate_lm(lm, ds, world, mllm::summary_groups(world, cfg.mllm, ctx.seed()), cfg.mllm, ctx));
    extra["questions"] = mllm::training_items(world, {}).size();
  } else if (kind == RunKind::kCentral) {
    auto st = train::train_central(model, ds, text.tokens, ds.train, cfg.train, ctx, metrics);
    extra["steps"] = st.steps;
    extra["samples"] = st.samples;
  } else if (kind == RunKind::kCreamFl) {
    // Representation-level federation: its own rounds (creamfl/train.h), simulated in process.
    LETHE_CHECK(!opts.transport, "creamfl runs in simulation only (lethe train), not over lethe server");
    extra = creamfl::train_creamfl(model, ds, text.tokens,
                                   {cfg.creamfl, cfg.fl, cfg.train, cfg.data}, ctx, out_dir, metrics,
                                   {.resume = opts.resume})
                .to_json();
  } else {
    extra = train_federated(model, ds, text.tokens, cfg, ctx, out_dir, metrics, opts);
  }
  train::save_checkpoint(run.final_checkpoint(), state_dict(*model), model_cfg, text.tokenizer);
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  nlohmann::json summary;
  summary["config"] = cfg.run.name;
  summary["mode"] = cfg.run.mode;
  summary["seed"] = ctx.seed();
  summary["version"] = kVersion;
  summary["threads"] = ctx.threads();
  summary["precision"] = ctx.precision_name();
  summary["train_wall_s"] = train_s;
  summary["training"] = extra;
  summary["eval"] = train::evaluate_summary(model, ds, text.tokens, ds.train, cfg.eval, ctx);
  if (!lm_eval.is_null()) summary["lm"] = lm_eval;
  if (!initial_eval.is_null()) summary["initial_eval"] = initial_eval;
  summary["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  metrics.write("summary", summary["eval"]);
  write_file_atomic(run.summary(), summary.dump(2) + "\n");
  return summary;
}

}  // namespace lethe::experiment
