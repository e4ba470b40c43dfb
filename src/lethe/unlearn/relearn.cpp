#include "lethe/unlearn/relearn.h"

#include <algorithm>

#include "lethe/core/rng.h"
#include "lethe/eval/embed.h"
#include "lethe/train/batch_stream.h"
#include "lethe/train/loop.h"
#include "lethe/unlearn/streams.h"

namespace lethe::unlearn {

std::optional<RelearnOutcome> relearn_attack(const UnlearnInputs& in, const AuditSets& sets, const TensorMap& weights) {
  const auto& u = in.ucfg;
  if (u.relearn_steps == 0 || sets.relearn_train.size() < 2 || sets.relearn_gallery.empty()) return std::nullopt;
  auto model = model_with(in, weights);
  const double before = eval::evaluate_pairs(model, in.ds, in.tokens, sets.relearn_gallery, in.ctx).r1;
  auto tcfg = in.cfg.train;
  if (u.relearn_lr > 0) tcfg.lr = u.relearn_lr;
  tcfg.batch_size = std::min<int64_t>(tcfg.batch_size, static_cast<int64_t>(sets.relearn_train.size()));
  auto opt = train::make_optimizer(model, tcfg);
  train::BatchMaker maker(in.ds, in.tokens, tcfg.augment_shift);
  // The same batches for every model under test: the attack is part of the measurement.
  train::BatchStream batches(maker, sets.relearn_train, tcfg.batch_size,
                             unlearn_engine(in.ctx.seed(), UnlearnTag::kRelearnBatch, -1));
  model->train();
  for (int64_t s = 0; s < u.relearn_steps; ++s) train::train_step(model, *opt, batches.next(), tcfg, in.ctx);
  const double after = eval::evaluate_pairs(model, in.ds, in.tokens, sets.relearn_gallery, in.ctx).r1;
  return RelearnOutcome{.train_pairs = static_cast<int64_t>(sets.relearn_train.size()),
                        .gallery_pairs = static_cast<int64_t>(sets.relearn_gallery.size()),
                        .steps = u.relearn_steps,
                        .lr = tcfg.lr,
                        .forget_r1_before = before,
                        .forget_r1_after = after};
}

}  // namespace lethe::unlearn
