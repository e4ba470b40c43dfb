#include "lethe/unlearn/session.h"

#include <cmath>
#include <fstream>

#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/run_folder.h"
#include "lethe/data/append.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/experiment/experiment.h"
#include "lethe/experiment/federated.h"
#include "lethe/interop/pretrained_start.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/text.h"
#include "lethe/unlearn/audit.h"
#include "lethe/unlearn/creamfl_replay.h"
#include "lethe/unlearn/lm_session.h"
#include "lethe/unlearn/reanchor.h"
#include "lethe/unlearn/relearn.h"
#include "lethe/unlearn/report.h"
#include "lethe/unlearn/retrain.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

namespace {

// The original run's per-round curve (loss, server validation R@1) for the report.
std::vector<TrainingPoint> training_curve(const std::string& run_dir) {
  std::ifstream in(RunFolder(run_dir).metrics());
  std::map<int64_t, TrainingPoint> by_round;
  auto number = [](const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_number() ? std::optional(j[key].get<double>()) : std::nullopt;
  };
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("round") || !j["round"].is_number_integer()) continue;
    auto& r = by_round[j["round"].get<int64_t>()];
    r.round = j["round"].get<int64_t>();
    if (j["event"] == "fl_round") r.loss = number(j, "loss"), r.wall_s = number(j, "wall_s");
    if (j["event"] == "fl_eval" && j.contains("server_val_r1")) r.val_r1 = number(j, "server_val_r1");
  }
  std::vector<TrainingPoint> rounds;
  for (auto& [k, v] : by_round) rounds.push_back(v);
  return rounds;
}

}  // namespace

AnyAudit run_unlearning(const SessionOptions& opts) {
  LETHE_CHECK(!opts.methods.empty(), "--method names no method");
  const auto request = parse_request(opts.request);
  const RunFolder run(opts.run_dir);
  const std::string config_path = run.config();
  LETHE_CHECK(run.has_config(), "--run {}: no config.toml (not a Lethe run folder)", opts.run_dir);
  const std::string ck_path = run.final_checkpoint();
  LETHE_CHECK(file_exists(ck_path), "--run {}: no checkpoints/final.safetensors (did training finish?)",
              opts.run_dir);

  // The run's config, then this call's overrides: [unlearn] knobs and run-time settings.
  auto doc = config::Document::from_string(read_file(config_path), config_path);
  doc.apply_overrides(opts.overrides);
  experiment::ExperimentConfig cfg;
  UnlearnConfig ucfg;
  doc.read(cfg);
  doc.read_section("unlearn", ucfg);
  doc.finish();
  const auto kind = experiment::run_kind(cfg);
  if (kind == experiment::RunKind::kMultimodalLm) return run_lm_unlearning(opts, cfg, ucfg, request);
  for (const auto& m : opts.methods) unlearners().get(m);  // unknown names fail before any work
  LETHE_CHECK(experiment::is_federated(kind), "--run {}: unlearning needs a federated run (run.mode = '{}')",
              opts.run_dir, cfg.run.mode);
  const bool creamfl = kind == experiment::RunKind::kCreamFl;
  if (creamfl) check_creamfl_request(cfg, request, opts.methods);

  Context ctx(cfg.run.context);
  auto ck = train::load_checkpoint(ck_path);
  const auto federation = data::load(cfg.data);
  // A CreamFL run's Fashion-MNIST clients: their pairs after the emoji ones (creamfl_replay.h).
  const auto fashion = creamfl_fashion(cfg);
  const std::optional<data::Dataset> both = fashion ? std::optional(data::append(federation, *fashion)) : std::nullopt;
  const auto& ds = both ? *both : federation;
  auto text = train::encode_text(ds, tokenize::BpeTokenizer::from_merges_text(ck.merges),
                                 ck.model.context_length);
  auto clients = creamfl ? creamfl_holders(cfg, federation, fashion ? &*fashion : nullptr, opts.run_dir)
                                 : experiment::client_data(cfg, ds, opts.run_dir);
  auto forget = make_forget_set(request, ds, clients, ctx.seed());
  auto original_model = train::model_from_checkpoint(ck);
  const TensorMap original = experiment::trainable_parameters(original_model);
  const std::string out = opts.out_dir.empty() ? run.unlearn(request.slug()) : opts.out_dir;
  make_dirs(out);
  log::info("request {}: forget {} pairs held by {} client(s), retain {} pairs", request.str(),
            forget.forget.size(), forget.holders.size(), forget.retain.size());

  // θ⁰ of a run started from pretrained weights holds them (the file must still be there).
  const auto pretrained = cfg.model.init.empty()
                              ? std::optional<TensorMap>()
                              : std::optional(interop::pretrained_start(cfg.model, cfg.data.image_size,
                                                                                data::data_root(cfg.data))
                                                                    .weights);
  UnlearnInputs in{cfg, ctx, ds, text.tokens, clients, forget, original, ck.model, ucfg,
                   opts.run_dir, out + "/work", both ? &federation : nullptr,
                   pretrained ? &*pretrained : nullptr};
  auto ref = retrain_reference(in, run.unlearn("retrain-" + forget.sha256.substr(0, 12)));
  auto sets = make_audit_sets(in);

  Audit audit;
  audit.request = request.str();
  audit.forget_size = static_cast<int64_t>(forget.forget.size());
  audit.manifest_sha256 = forget.sha256;
  audit.gallery_units = sets.units;
  audit.reference = {audit_model(in, sets, ref.weights), weights_sha256(ref.weights), ref.wall_s,
                     ref.from_cache, relearn_attack(in, sets, ref.weights)};
  audit.original.model = audit_model(in, sets, original);
  audit.original.weights_sha256 = weights_sha256(original);
  audit.original.gap = recall_gaps(audit.original.model, audit.reference.model);
  audit.training = training_curve(opts.run_dir);
  for (const auto& name : opts.methods) {
    log::info("unlearning with {}", name);
    auto res = honour_request(in, name);
    MethodAudit m;
    m.model = audit_model(in, sets, res.weights);
    m.gap = recall_gaps(m.model, audit.reference.model);
    m.cost = res.cost;
    m.cost_ratio = ref.wall_s > 0 ? res.cost.wall_s / ref.wall_s : 0.0;
    m.weights_sha256 = weights_sha256(res.weights);
    m.details = res.details;
    m.relearn = relearn_attack(in, sets, res.weights);
    if (m.relearn && audit.reference.relearn)  // how far the attacked model lands from the attacked reference
      m.gap.relearn_forget_r1 = std::abs(m.relearn->forget_r1_after - audit.reference.relearn->forget_r1_after);
    if (ucfg.post_rounds > 0) {
      log::info("{}: re-anchoring over {} further rounds{}", name, ucfg.post_rounds,
                res.lock.empty() ? "" : ", with and without the Forget Lock");
      m.post_rounds = reanchor(in, sets, res.weights, res.lock, ucfg.post_rounds, "post-" + name);
      if (!res.lock.empty())
        m.post_rounds_unlocked = reanchor(in, sets, res.weights, {}, ucfg.post_rounds, "post-" + name + "-unlocked");
    }
    audit.methods.emplace_back(name, std::move(m));
    auto model = model_with(in, res.weights);
    train::save_checkpoint(out + "/" + name + ".safetensors", state_dict(*model), ck.model,
                           tokenize::BpeTokenizer::from_merges_text(ck.merges),
                           {{"lethe.request", request.str()}, {"lethe.method", name}});
  }
  const auto document = audit.to_json();
  write_file_atomic(out + "/manifest.json", forget.manifest().dump() + "\n");
  write_file_atomic(out + "/audit.json", document.dump(2) + "\n");
  if (opts.report) {
    if (file_exists(chartjs_default_path())) {
      write_report(out + "/report.html", document);
    } else {
      log::warn("report.html skipped: {} is missing (run scripts/setup)", chartjs_default_path());
    }
  }
  return audit;
}

nlohmann::json to_json(const AnyAudit& audit) {
  return std::visit([](const auto& a) { return a.to_json(); }, audit);
}

}  // namespace lethe::unlearn
