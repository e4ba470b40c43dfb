#include "lethe/unlearn/multidelete.h"

#include <algorithm>
#include <optional>

#include "lethe/core/error.h"
#include "lethe/core/log.h"
#include "lethe/core/rng.h"
#include "lethe/eval/auc.h"
#include "lethe/eval/embed.h"
#include "lethe/train/batch_stream.h"
#include "lethe/train/loop.h"
#include "lethe/unlearn/methods.h"
#include "lethe/unlearn/streams.h"

namespace lethe::unlearn {

namespace {


torch::Tensor mse(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat) - b.to(torch::kFloat)).pow(2).mean();
}

}  // namespace

MultiDeleteTerms multidelete_loss(const Embedded& forget, const Embedded& forget_ref,
                                  const torch::Tensor& perm, const Embedded& retain,
                                  const Embedded& retain_ref, bool unimodal_on_forget,
                                  bool whole_matrix) {
  LETHE_CHECK(perm.dim() == 1 && perm.size(0) == forget.txt.size(0) &&
                  forget_ref.txt.sizes() == forget.txt.sizes() && retain_ref.txt.sizes() == retain.txt.sizes(),
              "multidelete_loss: a permutation of the forget batch and reference embeddings of the "
              "same shapes are needed");
  MultiDeleteTerms t;
  const auto unrelated = forget_ref.txt.index_select(0, perm.to(forget_ref.txt.device(), torch::kLong));
  auto target = forget_ref.img.matmul(unrelated.t());
  if (!whole_matrix) {
    // Only the deleted pairs move (to M's score of an unrelated pair); every other entry keeps
    // M's own score of that (image, caption).
    const auto own = forget_ref.img.matmul(forget_ref.txt.t());
    const auto eye = torch::eye(own.size(0), torch::TensorOptions().dtype(torch::kBool).device(own.device()));
    target = torch::where(eye, target, own);
  }
  t.decoupling = mse(forget.img.matmul(forget.txt.t()), target);
  t.multimodal = mse(retain.img.matmul(retain.txt.t()), retain_ref.img.matmul(retain_ref.txt.t()));
  const auto& cur = unimodal_on_forget ? forget : retain;
  const auto& ref = unimodal_on_forget ? forget_ref : retain_ref;
  t.unimodal = mse(cur.img, ref.img) + mse(cur.txt, ref.txt);
  t.task = retain.clip_loss();
  return t;
}

torch::Tensor unrelated_permutation(const torch::Tensor& groups, std::mt19937_64& rng) {
  LETHE_CHECK(groups.dim() == 1 && groups.size(0) >= 2, "unrelated_permutation needs a batch of ≥ 2 rows");
  const int64_t b = groups.size(0);
  const auto g = groups.to(torch::kCPU).to(torch::kLong).contiguous();
  const int64_t* unit = g.data_ptr<int64_t>();
  std::vector<int64_t> best;
  int64_t best_clashes = b + 1;
  for (int attempt = 0; attempt < 16 && best_clashes > 0; ++attempt) {
    const auto order = permutation(b, rng);
    std::vector<int64_t> pi(b);
    int64_t clashes = 0;
    for (int64_t i = 0; i < b; ++i) {
      pi[order[i]] = order[(i + 1) % b];
      clashes += unit[order[i]] == unit[order[(i + 1) % b]];
    }
    if (clashes < best_clashes) best = std::move(pi), best_clashes = clashes;
  }
  return torch::tensor(best, torch::kLong);
}

namespace {

struct HolderResult {
  TensorMap weights;
  int64_t steps = 0;
  nlohmann::json details;
};

// The selection score (R@1_val / 100 + AUC) / 2 of `model` for holder k: R@1 on its validation
// pairs (never trained on, never the test split) and the deleted-vs-remaining AUC of its forget
// pairs against a sample of the pairs it keeps.
struct Selector {
  std::vector<int64_t> val, forget, keep;
  nlohmann::json score(models::Clip& model, const UnlearnInputs& in) const {
    const double r1 = eval::evaluate_pairs(model, in.ds, in.tokens, val, in.ctx).r1;
    const auto f = eval::pair_embeddings(model, in.ds, in.tokens, forget, in.ctx);
    const auto r = eval::pair_embeddings(model, in.ds, in.tokens, keep, in.ctx);
    const double auc = eval::deleted_vs_remaining_auc((f.image * f.text).sum(1), (r.image * r.text).sum(1),
                                                      in.ucfg.auc_chunks, in.ctx.seed());
    return {{"val_r1", r1}, {"auc", auc}, {"score", (r1 / 100.0 + auc) / 2.0}};
  }
};

HolderResult run_holder(const UnlearnInputs& in, int64_t k, const std::vector<int64_t>& forget_k,
                        models::Clip& reference) {
  const auto& u = in.ucfg;
  HolderResult r;
  r.details = {{"client", k}, {"forget_pairs", forget_k.size()}};
  auto model = model_with(in, in.original);
  TensorMap params;
  for (const auto& p : model->named_parameters())
    if (in.original.count(p.key())) params[p.key()] = p.value();
  auto tcfg = in.cfg.train;
  tcfg.lr = u.multidelete.lr;
  tcfg.weight_decay = 0.0;  // as the ascent family: a shrinkage towards 0 removes nothing
  auto opt = train::make_optimizer(model, tcfg);
  train::BatchMaker maker(in.ds, in.tokens, in.cfg.train.augment_shift);
  const uint64_t seed = in.ctx.seed();

  // The holder's own retained pairs; a holder that keeps none (a removed client) uses D_r, as
  // the centralised method assumes.
  const auto& own = in.forget.retained.train[k];
  const bool has_own = own.size() >= 2;
  const auto& keep = has_own ? own : in.forget.retain;
  r.details["retain_source"] = has_own ? "holder" : "D_r";
  train::BatchStream retain_batches(maker, keep, tcfg.batch_size, unlearn_engine(seed, UnlearnTag::kMultiDeleteRetain, k));
  auto frng = unlearn_engine(seed, UnlearnTag::kMultiDeleteForget, k);
  auto prng = unlearn_engine(seed, UnlearnTag::kMultiDeletePermutation, k);

  std::optional<Selector> selector;
  const auto& val = in.clients.val[k];
  if (val.size() >= 2) {
    auto srng = unlearn_engine(seed, UnlearnTag::kMultiDeleteSelect, k);
    const auto order = permutation(static_cast<int64_t>(keep.size()), srng);
    std::vector<int64_t> sample;
    const auto n = std::min<int64_t>(static_cast<int64_t>(keep.size()), u.auc_chunks * int64_t(forget_k.size()));
    for (int64_t i = 0; i < n; ++i) sample.push_back(keep[order[i]]);
    selector = Selector{val, forget_k, std::move(sample)};
  } else {
    log::warn("multidelete: client {} has no validation pairs to select a pass on; keeping the last", k);
  }
  auto embed_ref = [&](const train::Batch& b) {
    torch::NoGradGuard ng;
    return embed(reference, b, in.ctx);
  };

  nlohmann::json passes = nlohmann::json::array();
  double best = -1;
  for (int64_t pass = 1; pass <= u.multidelete.epochs; ++pass) {
    model->train();
    double md = 0, mkr = 0, ukr = 0, clip = 0;
    int64_t n = 0;
    for (const auto& ids : train::epoch_batches(forget_k, tcfg.batch_size, frng)) {
      const auto fb = maker.make(ids, &frng);
      const auto rb = retain_batches.next();
      const auto perm = unrelated_permutation(fb.groups, prng);
      local_step(*opt, in.ctx, u.ascent_clip, [&] {
        auto t = multidelete_loss(embed(model, fb, in.ctx), embed_ref(fb), perm, embed(model, rb, in.ctx),
                                  embed_ref(rb), u.multidelete.unimodal == "forget",
                                  u.multidelete.decoupling == "matrix");
        md += t.decoupling.item<double>(), mkr += t.multimodal.item<double>(), ukr += t.unimodal.item<double>();
        clip += t.task.item<double>();
        return t.total(u.multidelete.retention_weight, u.multidelete.task_weight);
      }, params);
      ++n, ++r.steps;
    }
    nlohmann::json ev = {{"pass", pass}, {"decoupling", md / double(n)}, {"multimodal", mkr / double(n)},
                         {"unimodal", ukr / double(n)}};
    if (u.multidelete.task_weight > 0) ev["retain_clip"] = clip / double(n);
    if (selector) {
      ev.update(selector->score(model, in));
      if (ev["score"].get<double>() > best) {
        best = ev["score"].get<double>();
        r.weights = clone(params);
        r.details["selected_pass"] = pass;
      }
    }
    passes.push_back(std::move(ev));
  }
  if (!selector) {
    r.weights = clone(params);
    r.details["selected_pass"] = u.multidelete.epochs;
  }
  r.details["passes"] = std::move(passes);
  r.details["steps"] = r.steps;
  return r;
}

class MultiDelete final : public Unlearner {
 public:
  UnlearnOutput run(const UnlearnInputs& in) override {
    auto reference = model_with(in, in.original);
    reference->eval();
    UnlearnOutput out;
    out.cost.rounds = 1;
    std::vector<HolderResult> runs;
    std::vector<std::pair<const TensorMap*, int64_t>> models;
    nlohmann::json holders = nlohmann::json::array(), skipped = nlohmann::json::array();
    runs.reserve(in.forget.holders.size());
    for (int64_t k : in.forget.holders) {
      const auto forget_k = forget_pairs_of(in, k);
      if (forget_k.size() < 2) {  // no in-batch similarity structure to decouple
        skipped.push_back(k);
        continue;
      }
      runs.push_back(run_holder(in, k, forget_k, reference));
      models.emplace_back(&runs.back().weights, static_cast<int64_t>(forget_k.size()));
      out.cost.local_steps += runs.back().steps;
      out.cost.bytes += 2 * nbytes(in.original);
      holders.push_back(runs.back().details);
    }
    LETHE_CHECK(!runs.empty(), "request '{}': no holder of the forget set has 2 forget pairs for multidelete",
                in.forget.request.str());
    out.weights = combine_holders(in.original, models);
    out.details = {{"epochs", in.ucfg.multidelete.epochs},
                   {"decoupling", in.ucfg.multidelete.decoupling},
                   {"unimodal", in.ucfg.multidelete.unimodal},
                   {"holders", std::move(holders)},
                   {"skipped_holders", std::move(skipped)}};
    return out;
  }
};

}  // namespace

void register_multidelete(Registry<UnlearnerFactory>& r) {
  r.add("multidelete",
        "MultiDelete: deleted pairs scored like unrelated pairs, retained similarities and "
        "single-modality embeddings kept (pass chosen on validation R@1 + AUC)",
        [] { return std::make_unique<MultiDelete>(); });
}

}  // namespace lethe::unlearn
