#include "lethe/unlearn/lm_methods.h"

#include <algorithm>

#include "lethe/core/error.h"
#include "lethe/core/log.h"
#include "lethe/core/rng.h"
#include "lethe/train/loop.h"
#include "lethe/unlearn/streams.h"

namespace lethe::unlearn {

namespace {

constexpr double kFisherEps = 1e-12;

// Shuffled batches of item indices (the last one may be short).
std::vector<std::vector<int64_t>> batches_of(int64_t n, int64_t bs, std::mt19937_64& rng) {
  const auto perm = permutation(n, rng);
  std::vector<std::vector<int64_t>> out;
  for (int64_t b = 0; b < n; b += bs) out.emplace_back(perm.begin() + b, perm.begin() + std::min(n, b + bs));
  return out;
}

std::vector<mllm::QaItem> concat(const std::vector<mllm::QaItem>& a, const std::vector<mllm::QaItem>& b) {
  auto out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Mean squared gradient of the answer NLL over up to `max_batches` batches, per parameter.
TensorMap fisher(mllm::LmModel& lm, const data::Dataset& ds, const std::vector<mllm::QaItem>& items,
                 int64_t max_batches, int64_t bs, const Context& ctx, UnlearnTag stream) {
  auto& model = *lm.model;
  TensorMap f;
  for (const auto& p : model.named_parameters()) f[p.key()] = torch::zeros_like(p.value());
  auto rng = unlearn_engine(ctx.seed(), stream, -1);
  auto bs_list = batches_of(static_cast<int64_t>(items.size()), bs, rng);
  const int64_t n = std::min<int64_t>(max_batches, static_cast<int64_t>(bs_list.size()));
  const auto text = lm.text(ds);
  for (int64_t i = 0; i < n; ++i) {
    model.zero_grad();
    mllm::answer_nll(lm.model, mllm::make_batch(text, items, bs_list[i]), ctx).mean().backward();
    torch::NoGradGuard ng;
    for (const auto& p : model.named_parameters())
      if (p.value().grad().defined()) f[p.key()].add_(p.value().grad().square());
  }
  model.zero_grad();
  for (auto& [k, v] : f) v.div_(double(std::max<int64_t>(n, 1)));
  return f;
}

enum class Ascent { kNone, kNll, kNpo };

struct Plan {
  Ascent ascent = Ascent::kNll;
  bool retain_descent = true;  // alternate with descent steps on D_r ∪ D_txt
  double kl_weight = 0.0;      // KL(θ₀ ‖ θ) on the retain batches
  const TensorMap* mask = nullptr;  // gradients multiplied by it (after clipping)
  bool mask_descent = true;    // the mask also applies to the descent steps
};

// KL(p₀ ‖ p) over the answer positions of a batch, averaged over them.
torch::Tensor answer_kl(const torch::Tensor& logits0, const torch::Tensor& logits, const mllm::LmBatch& b) {
  auto lp0 = torch::log_softmax(logits0, -1), lp = torch::log_softmax(logits, -1);
  auto kl = (lp0.exp() * (lp0 - lp)).sum(-1);  // (N,L-1)
  return (kl * b.mask).sum() / b.mask.sum().clamp_min(1.0);
}

LmUnlearnOutput run_plan(const LmUnlearnInputs& in, const Plan& plan) {
  const auto& u = in.ucfg;
  auto lm = mllm::lm_with(in.original, state_dict(*in.original.model), in.cfg, in.clip);
  mllm::LmModel ref0;  // θ₀, for the KL term
  if (plan.kl_weight > 0) ref0 = mllm::lm_with(in.original, state_dict(*in.original.model), in.cfg, in.clip);
  const auto text = lm.text(in.ds);
  const auto retain = concat(in.retain_vqa, in.text);
  LETHE_CHECK(!in.forget.empty(), "the forget set has no image questions");
  torch::optim::AdamW opt(lm.model->parameters(), torch::optim::AdamWOptions(u.lm.lr).weight_decay(0.0));
  auto params = lm.model->named_parameters();
  auto step = [&](const torch::Tensor& loss, bool masked) {
    opt.zero_grad();
    loss.backward();
    if (u.lm.clip > 0) torch::nn::utils::clip_grad_norm_(lm.model->parameters(), u.lm.clip);
    if (plan.mask && masked) {
      torch::NoGradGuard ng;
      for (auto& p : params)
        if (p.value().grad().defined()) p.value().mutable_grad().mul_(plan.mask->at(p.key()));
    }
    opt.step();
  };
  const int64_t bs = in.cfg.batch_size;
  int64_t ascents = 0, descents = 0;
  double last_forget_nll = 0;
  auto ascent_step = [&](const std::vector<int64_t>& ids, std::mt19937_64& rng) {
    auto b = mllm::make_batch(text, in.forget, ids, nullptr, 0, &rng);
    auto nll = mllm::answer_nll(lm.model, b, in.ctx);
    last_forget_nll = nll.mean().item<double>();
    torch::Tensor loss;
    if (plan.ascent == Ascent::kNpo) {
      LETHE_ASSERT(in.reference != nullptr);
      torch::Tensor ref_nll;
      {
        torch::NoGradGuard ng;
        auto ref = in.reference->model;  // a handle: the reference itself is not changed
        ref_nll = mllm::answer_nll(ref, b, in.ctx);
      }
      // log π_θ − log π_ref over the answer tokens; answer_nll is a per-token mean.
      auto count = b.mask.sum(1);
      auto log_ratio = (ref_nll - nll) * count;
      loss = (2.0 / u.lm.npo_beta) * torch::softplus(u.lm.npo_beta * log_ratio).mean();
    } else {
      loss = -nll.mean();
    }
    step(loss, true);
    ++ascents;
  };
  for (int64_t e = 0; e < u.lm.epochs; ++e) {
    auto rng = unlearn_engine(in.ctx.seed(), UnlearnTag::kLmEpoch, -1, e);
    auto fb = batches_of(static_cast<int64_t>(in.forget.size()), bs, rng);
    if (!plan.retain_descent) {
      for (const auto& ids : fb) ascent_step(ids, rng);
      continue;
    }
    auto rb = batches_of(static_cast<int64_t>(retain.size()), bs, rng);
    const size_t every = std::max<size_t>(1, rb.size() / fb.size());
    size_t next_forget = 0;
    for (size_t it = 0; it < rb.size(); ++it) {
      if (it % every == 0 && next_forget < fb.size()) ascent_step(fb[next_forget++], rng);
      auto b = mllm::make_batch(text, retain, rb[it], nullptr, 0, &rng);
      auto logits = mllm::batch_logits(lm.model, b, in.ctx);
      auto loss = mllm::answer_nll(logits, b).mean();
      if (plan.kl_weight > 0) {
        torch::Tensor logits0;
        {
          torch::NoGradGuard ng;
          logits0 = mllm::batch_logits(ref0.model, b, in.ctx);
        }
        loss = loss + plan.kl_weight * answer_kl(logits0, logits, b);
      }
      step(loss, plan.mask_descent);
      ++descents;
    }
  }
  LmUnlearnOutput out;
  out.weights = state_dict(*lm.model);
  out.cost.local_steps = ascents + descents;
  out.details["ascent_steps"] = ascents;
  out.details["descent_steps"] = descents;
  out.details["last_forget_nll"] = last_forget_nll;
  return out;
}

class PlanMethod : public LmUnlearner {
 public:
  explicit PlanMethod(Plan plan) : plan_(plan) {}
  LmUnlearnOutput run(const LmUnlearnInputs& in) override { return run_plan(in, plan_); }

 private:
  Plan plan_;
};

class KlMin : public LmUnlearner {
 public:
  LmUnlearnOutput run(const LmUnlearnInputs& in) override {
    return run_plan(in, {.ascent = Ascent::kNll, .kl_weight = in.ucfg.lm.kl_weight});
  }
};

class MmUnlearner : public LmUnlearner {
 public:
  LmUnlearnOutput run(const LmUnlearnInputs& in) override {
    const auto masks = saliency_masks(in);
    int64_t on = 0, total = 0, vis_on = 0, vis_total = 0;
    for (const auto& [k, m] : masks) {
      const auto c = m.sum().item<double>();
      on += static_cast<int64_t>(c), total += m.numel();
      if (models::MultimodalLmImpl::is_vision_param(k)) vis_on += static_cast<int64_t>(c), vis_total += m.numel();
    }
    log::info("mmunlearner: mask keeps {:.2f}% of the parameters ({:.2f}% of the vision side)",
              100.0 * double(on) / double(total), vis_total ? 100.0 * double(vis_on) / double(vis_total) : 0.0);
    auto out = run_plan(in, {.ascent = Ascent::kNll, .mask = &masks, .mask_descent = in.ucfg.mmunlearner.protect});
    out.details["mask_fraction"] = double(on) / double(total);
    out.details["mask_fraction_vision"] = vis_total ? double(vis_on) / double(vis_total) : 0.0;
    out.details["mask_fraction_lm"] = total > vis_total ? double(on - vis_on) / double(total - vis_total) : 0.0;
    out.details["protect"] = in.ucfg.mmunlearner.protect;
    return out;
  }
};

}  // namespace

TensorMap saliency_masks(const LmUnlearnInputs& in) {
  auto lm = mllm::lm_with(in.original, state_dict(*in.original.model), in.cfg, in.clip);
  const int64_t nb = in.ucfg.mmunlearner.fisher_batches, bs = in.cfg.batch_size;
  const auto f_forget = fisher(lm, in.ds, in.forget, nb, bs, in.ctx, UnlearnTag::kLmFisherForget);
  const auto f_vqa = fisher(lm, in.ds, in.retain_vqa, nb, bs, in.ctx, UnlearnTag::kLmFisherRetainVqa);
  const auto f_all = fisher(lm, in.ds, concat(in.retain_vqa, in.text), nb, bs, in.ctx, UnlearnTag::kLmFisherAll);
  TensorMap masks;
  for (const auto& [k, ff] : f_forget) {
    const auto& fr = models::MultimodalLmImpl::is_vision_param(k) ? f_vqa.at(k) : f_all.at(k);
    masks[k] = ((ff + kFisherEps) / (fr + kFisherEps) >= in.ucfg.mmunlearner.gamma).to(ff.scalar_type());
  }
  return masks;
}

namespace {

void add_builtin_lm_unlearners(Registry<LmUnlearnerFactory>& r) {
  r.add("ga", "gradient ascent on the forget questions' answer NLL",
        [] { return std::make_unique<PlanMethod>(Plan{.ascent = Ascent::kNll, .retain_descent = false}); });
  r.add("graddiff", "GA_Diff: ascent on forget questions alternating with descent on retain questions",
        [] { return std::make_unique<PlanMethod>(Plan{.ascent = Ascent::kNll}); });
  r.add("klmin", "KL_Min: graddiff plus KL to the original model on retain questions",
        [] { return std::make_unique<KlMin>(); });
  r.add("npo", "NPO (β = unlearn.lm.npo_beta) against the LM trained without the forget images, with retain descent",
        [] { return std::make_unique<PlanMethod>(Plan{.ascent = Ascent::kNpo}); });
  r.add("mmunlearner", "MMUnlearner: Fisher-ratio saliency masks, masked ascent/descent, the rest protected",
        [] { return std::make_unique<MmUnlearner>(); });
}

}  // namespace

Registry<LmUnlearnerFactory>& lm_unlearners() {
  static Registry<LmUnlearnerFactory> registry("multimodal-LM unlearning method", add_builtin_lm_unlearners);
  return registry;
}

}  // namespace lethe::unlearn
