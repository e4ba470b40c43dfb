#include "lethe/train/central.h"

#include <cmath>
#include <set>
#include <unordered_map>

#include "lethe/core/progress.h"
#include "lethe/core/rng.h"
#include "lethe/eval/embed.h"

namespace lethe::train {

LoopStats train_central(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                        const std::vector<int64_t>& pair_ids, const TrainConfig& cfg,
                        const Context& ctx, MetricsWriter& metrics) {
  const int64_t per_epoch = static_cast<int64_t>(pair_ids.size()) / cfg.batch_size +
                            (static_cast<int64_t>(pair_ids.size()) % cfg.batch_size >= 2);
  LrSchedule sched{cfg.lr, static_cast<int64_t>(std::llround(cfg.warmup * per_epoch * cfg.epochs)),
                   per_epoch * cfg.epochs, cfg.min_lr_ratio};
  auto opt = make_optimizer(model, cfg);
  BatchMaker batches(ds, tokens, cfg.augment_shift);
  Progress progress("train", per_epoch * cfg.epochs, "step");
  LoopStats total;
  int64_t step = 0;
  for (int64_t e = 0; e < cfg.epochs; ++e) {
    auto rng = make_engine(ctx.seed(), e, -1, Stream::kShuffle);
    auto st = run_epochs(model, *opt, batches, pair_ids, cfg, ctx, sched, step, 1, rng, {},
                         &progress);
    total.steps += st.steps, total.samples += st.samples, total.loss_sum += st.loss_sum;
    metrics.write("epoch", {{"epoch", e + 1}, {"loss", st.mean_loss()}, {"steps", step},
                            {"lr", sched.at(step - 1)}, {"samples", st.samples}});
  }
  progress.done();
  return total;
}

std::vector<int64_t> sample_units(const data::Dataset& ds, const std::vector<int64_t>& pair_ids,
                                  int64_t n_units, uint64_t seed) {
  return unit_folds(ds, pair_ids, n_units, 1, seed).front();
}

std::vector<std::vector<int64_t>> unit_folds(const data::Dataset& ds,
                                             const std::vector<int64_t>& pair_ids, int64_t n_units,
                                             int64_t folds, uint64_t seed) {
  std::vector<int64_t> units;
  std::set<int64_t> seen;
  for (int64_t p : pair_ids)
    if (seen.insert(ds.pairs[p].unit).second) units.push_back(ds.pairs[p].unit);
  auto rng = make_engine(seed, 0, -1, Stream::kEval);
  auto perm = permutation(static_cast<int64_t>(units.size()), rng);
  const auto n = static_cast<int64_t>(units.size());
  const int64_t k = n_units > 0 ? std::max<int64_t>(1, std::min(folds, n / n_units)) : 1;
  std::unordered_map<int64_t, int64_t> fold_of;  // unit -> fold
  for (int64_t i = 0; i < std::min(n, k * n_units); ++i) fold_of[units[perm[i]]] = i / n_units;
  std::vector<std::vector<int64_t>> out(k);
  for (int64_t p : pair_ids)
    if (auto it = fold_of.find(ds.pairs[p].unit); it != fold_of.end()) out[it->second].push_back(p);
  return out;
}

nlohmann::json evaluate_summary(models::Clip& model, const data::Dataset& ds,
                                const torch::Tensor& tokens, const std::vector<int64_t>& train_ids,
                                const EvalConfig& cfg, const Context& ctx) {
  nlohmann::json out;
  out["test"] = eval::evaluate_pairs(model, ds, tokens, ds.test, ctx).to_json();
  auto sample = sample_units(ds, train_ids, cfg.train_units, ctx.seed());
  out["train"] = eval::evaluate_pairs(model, ds, tokens, sample, ctx).to_json();
  return out;
}

}  // namespace lethe::train
