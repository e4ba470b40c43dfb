#include "lethe/unlearn/audit.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "lethe/core/fs.h"
#include "lethe/core/rng.h"
#include "lethe/core/safetensors.h"
#include "lethe/eval/auc.h"
#include "lethe/eval/embed.h"
#include "lethe/eval/mia.h"
#include "lethe/train/central.h"

namespace lethe::unlearn {

namespace {

std::vector<int64_t> sample_pairs(const std::vector<int64_t>& ids, int64_t n, uint64_t seed,
                                  int64_t tag) {
  if (static_cast<int64_t>(ids.size()) <= n) return ids;
  auto rng = make_engine(seed, tag, -1, Stream::kEval);
  auto perm = permutation(static_cast<int64_t>(ids.size()), rng);
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(ids[perm[i]]);
  std::sort(out.begin(), out.end());
  return out;
}

int64_t count_units(const data::Dataset& ds, const std::vector<int64_t>& ids) {
  std::set<int64_t> u;
  for (int64_t p : ids) u.insert(ds.pairs[p].unit);
  return static_cast<int64_t>(u.size());
}

// What D_f is compared with: retained pairs (retain folds, MIA members), the AUC's remaining
// pairs and non-members (MIA). When in.ds appends a second dataset (a CreamFL run's
// Fashion-MNIST), all three come from the dataset(s) D_f holds pairs of, so that the AUC and the
// MIA contrast pairs of one distribution; a Fashion-MNIST pair's non-members are its holders'
// held-out pairs of that data (Fashion-MNIST's test images). When D_f leaves none of that data's
// retained pairs, the retained pairs and non-members are every retained pair and in.ds.test, and
// the AUC ranks D_f against its data's non-members: deleted vs never seen.
struct ComparisonPools {
  std::vector<int64_t> retain, remaining, nonmembers;
};

ComparisonPools comparison_pools(const UnlearnInputs& in) {
  bool own = false, appended = false;
  for (int64_t p : in.forget.forget) (is_appended(in, p) ? appended : own) = true;
  ComparisonPools c;
  for (int64_t p : in.forget.retain)
    if (is_appended(in, p) ? appended : own) c.retain.push_back(p);
  if (own) c.nonmembers = in.ds.test;
  if (appended)
    for (int64_t p : in.forget.holdout)
      if (is_appended(in, p)) c.nonmembers.push_back(p);
  if (c.retain.empty()) return {in.forget.retain, c.nonmembers, in.ds.test};
  c.remaining = c.retain;
  return c;
}

}  // namespace

AuditSets make_audit_sets(const UnlearnInputs& in, int64_t max_units) {
  AuditSets s;
  const uint64_t seed = in.ctx.seed();
  s.forget = count_units(in.ds, in.forget.forget) > max_units
                 ? train::sample_units(in.ds, in.forget.forget, max_units, seed)
                 : in.forget.forget;
  s.units = count_units(in.ds, s.forget);
  const auto pools = comparison_pools(in);
  s.retain = train::unit_folds(in.ds, pools.retain, s.units, in.ucfg.audit_folds, seed + 1);
  s.test = train::unit_folds(in.ds, in.ds.test, s.units, in.ucfg.audit_folds, seed + 2);
  s.auc_retain = sample_pairs(pools.remaining, in.ucfg.auc_chunks * int64_t(s.forget.size()), seed, 1);
  s.members = sample_pairs(pools.retain, 1000, seed, 2);
  s.nonmembers = sample_pairs(pools.nonmembers, 1000, seed, 3);
  std::set<int64_t> caps;
  for (int64_t p : sample_pairs(pools.nonmembers, in.ucfg.mia_distractors, seed, 4))
    caps.insert(in.ds.pairs[p].caption);
  s.distractors.assign(caps.begin(), caps.end());
  const int64_t forget_units = count_units(in.ds, in.forget.forget);
  auto attack_units = static_cast<int64_t>(std::ceil(in.ucfg.relearn_fraction * double(forget_units)));
  if (attack_units > 0 && attack_units < forget_units) {
    s.relearn_train = train::sample_units(in.ds, in.forget.forget, attack_units, seed + 5);
    // A contrastive batch needs two pairs: one-pair units (Fashion-MNIST's images) take two.
    if (s.relearn_train.size() < 2 && attack_units + 1 < forget_units)
      s.relearn_train = train::sample_units(in.ds, in.forget.forget, ++attack_units, seed + 5);
    std::set<int64_t> seen;
    for (int64_t p : s.relearn_train) seen.insert(in.ds.pairs[p].unit);
    for (int64_t p : s.forget)
      if (!seen.count(in.ds.pairs[p].unit)) s.relearn_gallery.push_back(p);
  }
  return s;
}

eval::EmbeddingTable embed_audit_sets(models::Clip& model, const UnlearnInputs& in, const AuditSets& sets) {
  std::vector<int64_t> all = sets.forget;
  for (const auto* folds : {&sets.retain, &sets.test})
    for (const auto& f : *folds) all.insert(all.end(), f.begin(), f.end());
  for (const auto* ids : {&sets.auc_retain, &sets.members, &sets.nonmembers})
    all.insert(all.end(), ids->begin(), ids->end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return eval::EmbeddingTable(model, in.ds, in.tokens, all, in.ctx);
}

std::vector<eval::RecallBlock> evaluate_folds(const eval::EmbeddingTable& table,
                                              const std::vector<std::vector<int64_t>>& folds) {
  std::vector<eval::RecallBlock> blocks;
  for (const auto& f : folds) blocks.push_back(table.evaluate(f));
  return blocks;
}

namespace {

FoldRecall fold_recall(const eval::EmbeddingTable& table, const std::vector<std::vector<int64_t>>& folds) {
  const auto blocks = evaluate_folds(table, folds);
  FoldRecall r{eval::mean_recall(blocks), {}};
  for (const auto& b : blocks) r.r1_folds.push_back(b.r1);
  return r;
}

}  // namespace

ModelAudit audit_model(const UnlearnInputs& in, const AuditSets& sets, const TensorMap& weights) {
  auto model = model_with(in, weights);
  const auto table = embed_audit_sets(model, in, sets);
  ModelAudit out;
  out.forget = table.evaluate(sets.forget);
  out.retain = fold_recall(table, sets.retain);
  out.test = fold_recall(table, sets.test);

  auto [fi, ft] = table.pairs(sets.forget);
  auto [ri, rt] = table.pairs(sets.auc_retain);
  out.auc_deleted_vs_remaining = eval::deleted_vs_remaining_auc((fi * ft).sum(1), (ri * rt).sum(1),
                                                                in.ucfg.auc_chunks, in.ctx.seed());

  const double scale = model->logit_scale_exp().item<double>();
  auto distractors = eval::embed_texts(model, in.tokens.index_select(0, torch::tensor(sets.distractors)), in.ctx);
  auto feats = [&](const std::vector<int64_t>& ids) {
    auto [i, t] = table.pairs(ids);
    return eval::mia_features(i, t, distractors, scale);
  };
  auto forget_feats = eval::mia_features(fi, ft, distractors, scale);
  out.mia = eval::membership_inference(feats(sets.members), feats(sets.nonmembers), forget_feats, in.ctx.seed());
  return out;
}

std::string weights_sha256(const TensorMap& weights) { return sha256_hex(serialize_safetensors(weights)); }

}  // namespace lethe::unlearn
