#include "lethe/unlearn/lm_session.h"

#include <cmath>
#include <set>

#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/metrics.h"
#include "lethe/core/rng.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/stopwatch.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/text.h"
#include "lethe/unlearn/forget_set.h"
#include "lethe/unlearn/lm_methods.h"
#include "lethe/unlearn/streams.h"

namespace lethe::unlearn {

namespace {

std::vector<int64_t> forget_entities(const Request& r, const mllm::QaWorld& world, uint64_t seed) {
  const auto all = world.all_entities();
  std::vector<int64_t> out;
  if (r.kind == Request::Kind::kEntities) {
    auto rng = unlearn_engine(seed, UnlearnTag::kLmEntities, -1);
    const auto perm = permutation(static_cast<int64_t>(all.size()), rng);
    const auto take = std::max<int64_t>(1, std::llround(r.fraction * double(all.size())));
    for (int64_t i = 0; i < take; ++i) out.push_back(all[perm[i]]);
  } else if (r.kind == Request::Kind::kConcept) {
    for (auto e : all)
      if (has_word(world.entities[e].label, r.word)) out.push_back(e);
    LETHE_CHECK(!out.empty(), "request '{}': no emoji label has the word '{}'", r.str(), r.word);
  } else {
    throw InputError(fmt::format("request '{}': a multimodal-LM run forgets emoji (entities:FRACTION or "
                                 "concept:WORD), not clients or pairs",
                                 r.str()));
  }
  LETHE_CHECK(out.size() < all.size(), "request '{}' forgets every emoji: nothing would be retained", r.str());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

LmAudit run_lm_unlearning(const SessionOptions& opts, const experiment::ExperimentConfig& cfg,
                          const UnlearnConfig& ucfg, const Request& request) {
  for (const auto& m : opts.methods) lm_unlearners().get(m);  // unknown names fail before any work
  const RunFolder run(opts.run_dir);
  const std::string lm_path = run.lm_checkpoint();
  const std::string clip_path = run.final_checkpoint();
  LETHE_CHECK(file_exists(lm_path) && file_exists(clip_path),
              "--run {}: no checkpoints/lm.safetensors and final.safetensors (did training finish?)", opts.run_dir);
  Context ctx(cfg.run.context);
  auto ds = data::load(cfg.data);
  const auto world = mllm::make_world(ds);
  auto clip_ck = train::load_checkpoint(clip_path);
  const auto clip_text = train::encode_text(ds, tokenize::BpeTokenizer::from_merges_text(clip_ck.merges),
                                            clip_ck.model.context_length);
  const mllm::LmSetup setup{ds, world, clip_text.tokens, clip_ck.model, cfg.train, cfg.mllm, ctx};
  auto original = mllm::load_lm(lm_path, cfg.mllm, clip_ck.model);

  const auto forget = forget_entities(request, world, ctx.seed());
  nlohmann::json manifest = {{"request", request.str()}, {"entities", forget}};
  for (auto e : forget) manifest["labels"].push_back(world.entities[e].label);
  const auto sha = sha256_hex(manifest.dump());
  const std::string out = opts.out_dir.empty() ? run.unlearn(request.slug()) : opts.out_dir;
  make_dirs(out);
  log::info("request {}: forget the images of {} emoji", request.str(), forget.size());

  // The retrain reference: the whole pipeline without the forgotten entities' images (cached).
  const std::string ref_dir = run.unlearn("lm-retrain-" + sha.substr(0, 12));
  mllm::LmModel reference;
  nlohmann::json ref_info;
  if (file_exists(ref_dir + "/lm.safetensors") && file_exists(ref_dir + "/reference.json")) {
    reference = mllm::load_lm(ref_dir + "/lm.safetensors", cfg.mllm, clip_ck.model);
    ref_info = nlohmann::json::parse(read_file(ref_dir + "/reference.json"), nullptr, /*allow_exceptions=*/false);
    LETHE_CHECK(ref_info.is_object() && ref_info.contains("wall_s") && ref_info["wall_s"].is_number(),
                "'{}/reference.json' is damaged: delete {} to retrain the reference", ref_dir, ref_dir);
    ref_info["from_cache"] = true;
  } else {
    log::info("training the retrain reference (no images of the {} forgotten emoji)", forget.size());
    make_dirs(ref_dir);
    const Stopwatch clock;
    MetricsWriter metrics(RunFolder(ref_dir).metrics());
    reference = mllm::train_lm(setup, forget, metrics);
    ref_info = {{"wall_s", clock.seconds()}, {"manifest_sha256", sha}};
    mllm::save_lm(ref_dir + "/lm.safetensors", reference);
    write_file_atomic(ref_dir + "/reference.json", ref_info.dump(2) + "\n");
    ref_info["from_cache"] = false;
  }

  const std::set<int64_t> fset(forget.begin(), forget.end());
  std::vector<int64_t> retained;
  for (auto e : world.all_entities())
    if (!fset.count(e)) retained.push_back(e);
  const auto sample = mllm::sample_entities(retained, cfg.mllm.eval_entities, ctx.seed());
  const auto forget_items = world.visual_items(forget, false);
  const mllm::QaGroups groups = {{"vqa_forget", forget_items},
                                 {"vqa_forget_heldout", world.visual_items(forget, true)},
                                 {"qa_forget", world.text_items(forget)},
                                 {"vqa_retain", world.visual_items(sample, false)},
                                 {"vqa_heldout", world.visual_items(sample, true)},
                                 {"qa_retain", world.text_items(sample)}};
  auto evaluate = [&](mllm::LmModel& lm) { return mllm::evaluate_lm(lm, ds, world, groups, cfg.mllm, ctx); };

  LmAudit audit;
  audit.request = request.str();
  audit.forget_entities = static_cast<int64_t>(forget.size());
  audit.forget_size = static_cast<int64_t>(forget_items.size());
  audit.manifest_sha256 = sha;
  audit.reference = {evaluate(reference), ref_info["wall_s"].get<double>(), ref_info["from_cache"].get<bool>()};
  audit.original.eval = evaluate(original);
  audit.original.gap = lm_gaps(audit.original.eval, audit.reference.eval, audit.original.eval);

  const auto retain_items = world.visual_items(retained, false);
  const auto text_items = world.text_items(world.all_entities());
  const LmUnlearnInputs in{ds, cfg.mllm, clip_ck.model, ctx, original, &reference,
                           forget_items, retain_items, text_items, ucfg};
  for (const auto& name : opts.methods) {
    log::info("unlearning with {}", name);
    auto method = lm_unlearners().get(name).factory();
    const Stopwatch clock;
    auto res = method->run(in);
    res.cost.wall_s = clock.seconds();
    auto lm = mllm::lm_with(original, res.weights, cfg.mllm, clip_ck.model);
    LmMethodAudit m;
    m.eval = evaluate(lm);
    m.gap = lm_gaps(m.eval, audit.reference.eval, audit.original.eval);
    m.cost = res.cost;
    m.cost_ratio = audit.reference.wall_s > 0 ? res.cost.wall_s / audit.reference.wall_s : 0.0;
    m.details = res.details;
    audit.methods.emplace_back(name, std::move(m));
    mllm::save_lm(out + "/" + name + ".safetensors", lm, {{"lethe.request", request.str()}, {"lethe.method", name}});
  }
  write_file_atomic(out + "/manifest.json", manifest.dump() + "\n");
  write_file_atomic(out + "/audit.json", audit.to_json().dump(2) + "\n");
  return audit;
}

}  // namespace lethe::unlearn
