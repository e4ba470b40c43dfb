#include "lethe/mllm/train.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/log.h"
#include "lethe/core/progress.h"
#include "lethe/core/rng.h"
#include "lethe/core/safetensors.h"
#include "lethe/core/tensor_map.h"
#include "lethe/train/central.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/loop.h"
#include "lethe/train/schedule.h"

namespace lethe::mllm {

namespace {

constexpr int64_t kLmRound = 1000;  // rng streams of the LM stage start here (CLIP's epochs use 0..)

std::string normalised(const tokenize::BpeTokenizer& tok, const std::string& s) {
  return tok.decode(tok.encode(s));
}

double pct(int64_t hits, int64_t n) { return n ? 100.0 * double(hits) / double(n) : 0.0; }

}  // namespace

LmModel make_untrained_lm(const LmSetup& s) {
  LmModel lm;
  lm.tok = tokenize::BpeTokenizer::train(s.world.corpus(), static_cast<int>(s.cfg.num_merges));
  lm.max_text_tokens = needed_text_tokens(s.world, lm.tok, s.cfg.max_answer_tokens);
  lm.model = make_lm(s.cfg, s.clip_cfg, lm.tok.vocab_size(), lm.max_text_tokens,
                     stream_seed(s.ctx.seed(), kLmRound, -1, Stream::kInit));
  return lm;
}

std::vector<QaItem> training_items(const QaWorld& world, const std::vector<int64_t>& hidden) {
  const std::set<int64_t> hid(hidden.begin(), hidden.end());
  std::vector<int64_t> seen;
  for (auto e : world.all_entities())
    if (!hid.count(e)) seen.push_back(e);
  auto items = world.visual_items(seen, /*held_out=*/false);
  auto text = world.text_items(world.all_entities());
  items.insert(items.end(), text.begin(), text.end());
  return items;
}

LmModel train_lm(const LmSetup& s, const std::vector<int64_t>& hidden, MetricsWriter& metrics,
                 models::Clip* clip_out) {
  const std::set<int64_t> hid(hidden.begin(), hidden.end());
  // 1. CLIP pretraining on the pairs of the entities whose images may be seen.
  std::vector<int64_t> pairs;
  for (auto p : s.ds.train)
    if (!hid.count(s.ds.pairs[p].unit)) pairs.push_back(p);
  auto clip = train::make_model(s.clip_cfg, stream_seed(s.ctx.seed(), 0, -1, Stream::kInit));
  log::info("multimodal LM: CLIP pretraining on {} pairs ({} epochs)", pairs.size(), s.clip_train.epochs);
  train::train_central(clip, s.ds, s.clip_tokens, pairs, s.clip_train, s.ctx, metrics);

  // 2. The LM, its vision tower taken from CLIP.
  auto lm = make_untrained_lm(s);
  TensorMap vision;
  for (auto& [k, v] : state_dict(*clip))
    if (k.rfind("visual.", 0) == 0) vision[k] = v;
  load_state_dict(*lm.model, vision, /*strict=*/false);
  if (!s.cfg.train_vision)
    for (auto& p : lm.model->visual->parameters()) p.requires_grad_(false);

  const auto items = training_items(s.world, hidden);
  const auto text = lm.text(s.ds);
  const int64_t n = static_cast<int64_t>(items.size()), bs = s.cfg.batch_size;
  const int64_t per_epoch = (n + bs - 1) / bs, total = per_epoch * s.cfg.epochs;
  train::TrainConfig oc;
  oc.lr = s.cfg.lr;
  oc.weight_decay = s.cfg.weight_decay;
  auto opt = train::make_optimizer(*lm.model, oc);
  const train::LrSchedule sched{s.cfg.lr, static_cast<int64_t>(std::llround(s.cfg.warmup * double(total))), total, 0.0};
  log::info("multimodal LM: {} questions ({} with images hidden), {} epochs of {} steps", n, hidden.size(),
            s.cfg.epochs, per_epoch);
  Progress progress("lm", total, "step");
  int64_t step = 0;
  for (int64_t e = 0; e < s.cfg.epochs; ++e) {
    auto rng = make_engine(s.ctx.seed(), kLmRound + e, -1, Stream::kShuffle);
    const auto perm = permutation(n, rng);
    double loss_sum = 0;
    for (int64_t b0 = 0; b0 < n; b0 += bs) {
      std::vector<int64_t> ids(perm.begin() + b0, perm.begin() + std::min(n, b0 + bs));
      auto batch = make_batch(text, items, ids, nullptr, s.clip_train.augment_shift, &rng);
      train::set_lr(*opt, sched.at(step));
      loss_sum += train::descend(*opt, answer_nll(lm.model, batch, s.ctx).mean(), s.cfg.clip_grad,
                                 "multimodal LM training");
      ++step;
      progress.tick();
    }
    metrics.write("lm_epoch", {{"epoch", e + 1}, {"loss", loss_sum / double(per_epoch)}, {"steps", step},
                               {"lr", sched.at(step - 1)}});
  }
  progress.done();
  if (clip_out) *clip_out = clip;
  return lm;
}

QaScores evaluate_lm(LmModel& lm, const data::Dataset& ds, const QaWorld& world, const QaGroups& groups,
                     const MllmConfig& cfg, const Context& ctx) {
  std::vector<std::vector<std::string>> pool(kNumQuestions);
  for (int q = 0; q < kNumQuestions; ++q) pool[q] = world.answers(static_cast<Question>(q));
  const auto text = lm.text(ds);
  const int64_t batch = std::max<int64_t>(cfg.batch_size, 64);
  QaScores out;
  for (const auto& [name, items] : groups) {
    const auto answers = greedy_answers(lm.model, text, items, cfg.max_answer_tokens, batch, ctx);
    const auto hits = choice_hits(lm.model, text, items, pool, batch, ctx);
    std::vector<int64_t> n(kNumQuestions, 0), exact(kNumQuestions, 0), choice(kNumQuestions, 0);
    for (size_t i = 0; i < items.size(); ++i) {
      const int q = static_cast<int>(items[i].question);
      ++n[q];
      exact[q] += answers[i] == normalised(lm.tok, items[i].answer);
      choice[q] += hits[i];
    }
    QaGroupScore g;
    int64_t te = 0, tc = 0;
    for (int q = 0; q < kNumQuestions; ++q) {
      if (!n[q]) continue;
      g.by_question[question_name(static_cast<Question>(q))] = {n[q], pct(exact[q], n[q]), pct(choice[q], n[q])};
      g.all.n += n[q], te += exact[q], tc += choice[q];
    }
    g.all.exact = pct(te, g.all.n);
    g.all.choice = pct(tc, g.all.n);
    out[name] = std::move(g);
  }
  return out;
}

QaGroups summary_groups(const QaWorld& world, const MllmConfig& cfg, uint64_t seed) {
  const auto ids = sample_entities(world.all_entities(), cfg.eval_entities, seed);
  return {{"vqa_seen", world.visual_items(ids, false)},
          {"vqa_heldout", world.visual_items(ids, true)},
          {"qa", world.text_items(ids)}};
}

std::vector<int64_t> sample_entities(const std::vector<int64_t>& ids, int64_t n, uint64_t seed) {
  if (n <= 0 || n >= static_cast<int64_t>(ids.size())) return ids;
  auto rng = make_engine(seed, 0, -1, Stream::kEval);
  const auto perm = permutation(static_cast<int64_t>(ids.size()), rng);
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(ids[perm[i]]);
  std::sort(out.begin(), out.end());
  return out;
}

LmModel lm_with(const LmModel& like, const TensorMap& weights, const MllmConfig& cfg,
                const models::ClipConfig& clip) {
  LmModel lm{make_lm(cfg, clip, like.tok.vocab_size(), like.max_text_tokens, 0), like.tok, like.max_text_tokens};
  load_state_dict(*lm.model, weights);
  return lm;
}

void save_lm(const std::string& path, LmModel& lm, std::map<std::string, std::string> extra) {
  extra["lethe.model"] = "mllm";
  extra["lethe.merges"] = lm.tok.to_merges_text();
  extra["lethe.max_text_tokens"] = std::to_string(lm.max_text_tokens);
  write_safetensors(path, state_dict(*lm.model), extra);
}

LmModel load_lm(const std::string& path, const MllmConfig& cfg, const models::ClipConfig& clip) {
  auto f = read_safetensors(path);
  const auto& md = f.metadata;
  LETHE_CHECK(md.count("lethe.model") && md.at("lethe.model") == "mllm" && md.count("lethe.merges") &&
                  md.count("lethe.max_text_tokens"),
              "'{}' is not a multimodal LM checkpoint (no lethe.model = mllm metadata)", path);
  LmModel lm;
  lm.tok = tokenize::BpeTokenizer::from_merges_text(md.at("lethe.merges"), path + " merges");
  const auto& len = md.at("lethe.max_text_tokens");
  const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), lm.max_text_tokens);
  LETHE_CHECK(ec == std::errc() && end == len.data() + len.size() && lm.max_text_tokens > 1 &&
                  lm.max_text_tokens < 4096,
              "'{}': lethe.max_text_tokens = '{}' is not a row length", path, len);
  lm.model = make_lm(cfg, clip, lm.tok.vocab_size(), lm.max_text_tokens, 0);
  try {
    load_state_dict(*lm.model, f.tensors);
  } catch (const std::exception& e) {
    throw InputError(fmt::format("'{}': {}", path, e.what()));
  }
  return lm;
}

}  // namespace lethe::mllm
