#include "lethe/unlearn/ascent.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/log.h"
#include "lethe/core/rng.h"
#include "lethe/eval/embed.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/train/batch_stream.h"
#include "lethe/train/central.h"
#include "lethe/train/loop.h"
#include "lethe/train/loss.h"
#include "lethe/unlearn/streams.h"

namespace lethe::unlearn {

namespace F = torch::nn::functional;

torch::Tensor npo_loss(const torch::Tensor& logits, const torch::Tensor& ref_logits, double beta) {
  LETHE_CHECK(beta > 0, "NPO β must be positive (got {})", beta);
  LETHE_CHECK(logits.dim() == 2 && logits.size(0) == logits.size(1) && logits.sizes() == ref_logits.sizes(),
              "npo_loss needs two square logit matrices of the same shape");
  // log π of the matched pairs: diagonal of the row-wise (i2t) and column-wise (t2i) log-softmax.
  auto log_pi = [](const torch::Tensor& l) {
    return torch::stack({F::log_softmax(l, 1).diagonal(), F::log_softmax(l, 0).diagonal()});
  };
  auto ratio = log_pi(logits.to(torch::kFloat)) - log_pi(ref_logits.to(torch::kFloat));  // (2,B)
  return (2.0 / beta) * F::softplus(beta * ratio).mean();
}

torch::Tensor in_batch_kl(const torch::Tensor& ref_logits, const torch::Tensor& logits) {
  LETHE_CHECK(logits.dim() == 2 && logits.size(0) == logits.size(1) && logits.sizes() == ref_logits.sizes(),
              "in_batch_kl needs two square logit matrices of the same shape");
  auto valid = ref_logits.isfinite();  // masked negatives: p_ref = 0 there, and 0·log 0 = 0
  auto kl = [&](int64_t dim) {
    auto lp_ref = F::log_softmax(ref_logits.to(torch::kFloat), dim).masked_fill(~valid, 0.0);
    auto lp = F::log_softmax(logits.to(torch::kFloat), dim).masked_fill(~valid, 0.0);
    return (lp_ref.exp().masked_fill(~valid, 0.0) * (lp_ref - lp)).sum(dim).mean();
  };
  return 0.5 * (kl(1) + kl(0));
}

torch::Tensor Embedded::clip_loss() const { return train::clip_loss(img, txt, scale, groups); }
torch::Tensor Embedded::logits() const { return train::masked_logits(img, txt, scale, groups); }

Embedded embed(models::Clip& model, const train::Batch& b, const Context& ctx) {
  auto img = model->encode_image(b.images.to(ctx.device())).to(torch::kFloat);
  auto txt = model->encode_text(b.tokens.to(ctx.device())).to(torch::kFloat);
  return {F::normalize(img, F::NormalizeFuncOptions().dim(1)),
          F::normalize(txt, F::NormalizeFuncOptions().dim(1)), model->logit_scale_exp(),
          b.groups.to(ctx.device())};
}

torch::Tensor bke_loss(const torch::Tensor& logits, const torch::Tensor& img, const torch::Tensor& txt,
                       const torch::Tensor& ref_img, const torch::Tensor& ref_txt, double margin,
                       double lambda_d) {
  LETHE_CHECK(logits.dim() == 2 && logits.size(0) == logits.size(1) && img.size(0) == logits.size(0) &&
                  img.sizes() == txt.sizes() && ref_img.sizes() == img.sizes() && ref_txt.sizes() == txt.sizes(),
              "bke_loss needs (B,B) logits and four (B,D) embedding matrices");
  auto l = logits.to(torch::kFloat);
  const auto eye = torch::eye(l.size(0), torch::TensorOptions().dtype(torch::kBool).device(l.device()));
  // −log(1 − P_ii) = logsumexp_j l_ij − logsumexp_{j≠i} l_ij, per row (i2t) and column (t2i).
  auto unalign = [&](int64_t dim) {
    auto off = torch::logsumexp(l.masked_fill(eye, -INFINITY), dim);
    auto term = torch::logsumexp(l, dim) - off;
    return torch::where(off.isfinite(), term, torch::zeros_like(term)).mean();
  };
  auto displacement = [&](const torch::Tensor& x, const torch::Tensor& ref) {
    return torch::relu((x.to(torch::kFloat) * ref.to(torch::kFloat)).sum(1) - margin).mean();
  };
  return 0.5 * (unalign(1) + unalign(0)) +
         lambda_d * (displacement(img, ref_img) + displacement(txt, ref_txt));
}

namespace {


bool uses_retain(AscentObjective o) {
  return o == AscentObjective::kGradDiff || o == AscentObjective::kKlMin;
}
bool uses_reference(AscentObjective o) {
  return o == AscentObjective::kNpo || o == AscentObjective::kKlMin || o == AscentObjective::kBke;
}

int64_t count_units(const data::Dataset& ds, const std::vector<int64_t>& ids) {
  std::set<int64_t> u;
  for (int64_t p : ids) u.insert(ds.pairs[p].unit);
  return static_cast<int64_t>(u.size());
}

// The stopping rule of one holder: its forget pairs and the proxy pairs as galleries of the
// same number of units (R@K depends on the gallery size), and ρ = the proxy's R@1 under θ^T.
struct Probe {
  std::vector<int64_t> forget, proxy;
  int64_t units = 0;
  double proxy_r1 = 0;
};

const std::string& stop_rule(const UnlearnInputs& in, const AscentOptions& opts) {
  return opts.stop.empty() ? in.ucfg.stop : opts.stop;
}

// The pairs ρ is read on under rule `stop`: holder k's validation pairs (holdout) or the test
// split; with opts.matched_proxy and a concept request, only those that mention the concept.
std::vector<int64_t> proxy_pairs(const UnlearnInputs& in, const AscentOptions& opts, const std::string& stop,
                                 int64_t k, nlohmann::json& details) {
  const auto& all = stop == "holdout" ? in.clients.val[k] : in.ds.test;
  const auto& request = in.forget.request;
  if (request.kind != Request::Kind::kConcept || !opts.matched_proxy) return all;
  std::vector<int64_t> matched;
  for (int64_t p : all)
    if (mentions(in.ds, in.ds.pairs[p].caption, request.word)) matched.push_back(p);
  details["proxy"] = fmt::format("{} pairs that mention '{}'", stop, request.word);
  return matched;
}

// nullopt for stop = budget, or when either gallery would hold fewer than 2 units (then the
// holder runs to the step cap and its details say why).
std::optional<Probe> make_probe(const UnlearnInputs& in, const AscentOptions& opts, int64_t k,
                                const std::vector<int64_t>& forget_k, models::Clip& original,
                                nlohmann::json& details) {
  const auto& stop = stop_rule(in, opts);
  details["stop"] = stop;
  if (stop == "budget") return std::nullopt;
  const auto proxy = proxy_pairs(in, opts, stop, k, details);
  const int64_t units =
      std::min({count_units(in.ds, forget_k), count_units(in.ds, proxy), in.cfg.eval.val_units});
  if (units < 2) {
    details["stop"] = "budget";
    details["stop_note"] = fmt::format("no '{}' probe: a gallery of {} unit(s) (needs 2)", stop, units);
    log::warn("client {}: the '{}' stopping rule has a gallery of {} unit(s); running to the step cap",
              k, stop, units);
    return std::nullopt;
  }
  const uint64_t seed = unlearn_seed(in.ctx.seed(), UnlearnTag::kAscentProbe, k);
  Probe p;
  p.units = units;
  p.forget = train::sample_units(in.ds, forget_k, units, seed);
  p.proxy = train::sample_units(in.ds, proxy, units, seed + 1);
  p.proxy_r1 = eval::evaluate_pairs(original, in.ds, in.tokens, p.proxy, in.ctx).r1;
  details["gallery_units"] = units;
  details["proxy_r1"] = p.proxy_r1;
  return p;
}

struct HolderRun {
  TensorMap weights;
  int64_t steps = 0;            // ascent iterations (each one forget step, + one retain step)
  int64_t optimizer_steps = 0;
  bool stopped_early = false;
  nlohmann::json details;
};

// The local computation of holder k on its forget pairs `forget_k`, from opts.start (θ^T).
HolderRun ascend(const UnlearnInputs& in, const AscentOptions& opts, int64_t k,
                 const std::vector<int64_t>& forget_k, models::Clip* reference) {
  const auto& u = in.ucfg;
  const auto objective = opts.objective;
  const int64_t max_steps = opts.steps > 0 ? opts.steps : u.ascent_steps;
  HolderRun r;
  r.details = {{"client", k}, {"forget_pairs", forget_k.size()}};
  auto model = model_with(in, opts.start ? *opts.start : in.original);
  TensorMap params;  // aliases of the trainable parameters
  for (const auto& p : model->named_parameters())
    if (in.original.count(p.key())) params[p.key()] = p.value();
  // The stopping rule's ρ is always θ^T's proxy R@1: the model before any unlearning.
  models::Clip before = reference ? *reference : model;
  auto probe = make_probe(in, opts, k, forget_k, before, r.details);

  // AdamW at the ascent rate without weight decay: a shrinkage towards 0 is no part of
  // removing D_f, and over a few dozen steps it would only add an unrelated change.
  auto tcfg = in.cfg.train;
  tcfg.lr = opts.lr > 0 ? opts.lr : u.ascent_lr;
  tcfg.weight_decay = 0.0;
  auto opt = train::make_optimizer(model, tcfg);
  train::BatchMaker maker(in.ds, in.tokens, in.cfg.train.augment_shift);
  const uint64_t seed = in.ctx.seed();
  train::BatchStream forget_batches(maker, forget_k, tcfg.batch_size,
                             unlearn_engine(seed, UnlearnTag::kAscentForgetBatch, k));
  std::optional<train::BatchStream> retain_batches;
  if (uses_retain(objective) || opts.retain_anchor) {
    // The holder's own retained pairs; a holder that keeps none (a removed client) falls back
    // to D_r, as the centralised formulations of these baselines assume.
    const auto& own = in.forget.retained.train[k];
    const bool has_own = own.size() >= 2;
    r.details["retain_source"] = has_own ? "holder" : "D_r";
    retain_batches.emplace(maker, has_own ? own : in.forget.retain, tcfg.batch_size,
                           unlearn_engine(seed, UnlearnTag::kAscentRetainBatch, k));
  }
  auto reference_embedding = [&](const train::Batch& b) {
    torch::NoGradGuard ng;
    return embed(*reference, b, in.ctx);
  };
  auto reference_logits = [&](const train::Batch& b) { return reference_embedding(b).logits(); };

  std::optional<double> forget_r1;
  auto probe_forget = [&] {
    forget_r1 = eval::evaluate_pairs(model, in.ds, in.tokens, probe->forget, in.ctx).r1;
    return *forget_r1;
  };
  if (probe) r.details["forget_r1_start"] = probe_forget();
  model->train();
  for (; r.steps < max_steps; ++r.steps) {
    if (probe && r.steps % u.stop_every == 0 &&
        (r.steps == 0 ? *forget_r1 : probe_forget()) <= probe->proxy_r1 + u.stop_margin) {
      r.stopped_early = true;
      break;
    }
    const auto fb = forget_batches.next();
    local_step(*opt, in.ctx, u.ascent_clip, [&] {
      if (objective == AscentObjective::kNpo)
        return npo_loss(embed(model, fb, in.ctx).logits(), reference_logits(fb), u.npo_beta);
      if (objective == AscentObjective::kBke) {
        auto e = embed(model, fb, in.ctx);
        auto ref = reference_embedding(fb);
        return bke_loss(e.logits(), e.img, e.txt, ref.img, ref.txt, u.ease.margin, u.ease.lambda_d);
      }
      return -embed(model, fb, in.ctx).clip_loss();
    }, params, opts.gradient_filter);
    ++r.optimizer_steps;
    if (!retain_batches) continue;
    const auto rb = retain_batches->next();
    local_step(*opt, in.ctx, u.ascent_clip, [&] {
      auto e = embed(model, rb, in.ctx);
      auto loss = e.clip_loss();
      if (objective == AscentObjective::kKlMin && u.kl_weight > 0)
        loss = loss + u.kl_weight * in_batch_kl(reference_logits(rb), e.logits());
      return loss;
    }, params, opts.retain_gradient_filter);
    ++r.optimizer_steps;
  }
  if (probe && !r.stopped_early) probe_forget();
  r.details["steps"] = r.steps;
  r.details["stopped_early"] = r.stopped_early;
  r.details["forget_r1"] = forget_r1 ? nlohmann::json(*forget_r1) : nlohmann::json(nullptr);
  if (!probe) r.details["proxy_r1"] = nullptr;
  r.weights = experiment::trainable_parameters(model);
  return r;
}

}  // namespace

void local_step(torch::optim::Optimizer& opt, const Context& ctx, double clip,
                const std::function<torch::Tensor()>& loss_fn, const TensorMap& params,
                const std::function<void(TensorMap&)>& filter) {
  opt.zero_grad();
  torch::Tensor loss;
  {
    AutocastGuard ac(ctx);
    loss = loss_fn();
  }
  loss.backward();
  if (filter) {
    torch::NoGradGuard ng;
    TensorMap grads;
    for (const auto& [name, p] : params)
      if (p.grad().defined()) grads[name] = p.grad();
    filter(grads);
  }
  train::clip_and_step(opt, clip);
  const double l = loss.item<double>();
  LETHE_ENSURE(std::isfinite(l), "unlearning diverged: loss is {} (lower the method's learning rate)", l);
}

std::vector<int64_t> forget_pairs_of(const UnlearnInputs& in, int64_t k) {
  std::vector<int64_t> out;
  for (int64_t p : in.clients.train[k])
    if (std::binary_search(in.forget.forget.begin(), in.forget.forget.end(), p)) out.push_back(p);
  return out;
}

TensorMap combine_holders(const TensorMap& start,
                          const std::vector<std::pair<const TensorMap*, int64_t>>& holders) {
  LETHE_CHECK(!holders.empty(), "combine_holders: no holder");
  if (holders.size() == 1) return clone(*holders[0].first);
  int64_t total = 0;
  for (const auto& h : holders) total += h.second;
  auto out = clone(start);
  for (const auto& [w, n] : holders) add_(out, sub(*w, start), double(n) / double(total));
  return out;
}

UnlearnOutput run_ascent(const UnlearnInputs& in, const AscentOptions& opts) {
  std::optional<models::Clip> reference;
  if (uses_reference(opts.objective)) {
    reference = model_with(in, in.original);
    (*reference)->eval();
  }
  UnlearnOutput out;
  out.cost.rounds = 1;
  nlohmann::json holders = nlohmann::json::array(), skipped = nlohmann::json::array();
  std::vector<std::pair<HolderRun, int64_t>> runs;  // (run, forget pairs)
  for (int64_t k : in.forget.holders) {
    auto forget_k = forget_pairs_of(in, k);
    // A contrastive batch of one pair has no negatives: nothing to ascend on.
    if (forget_k.size() < 2) {
      skipped.push_back(k);
      continue;
    }
    runs.emplace_back(ascend(in, opts, k, forget_k, reference ? &*reference : nullptr),
                      static_cast<int64_t>(forget_k.size()));
  }
  LETHE_CHECK(!runs.empty(),
              "request '{}': no holder of the forget set has 2 forget pairs to form a contrastive batch",
              in.forget.request.str());

  // Server: the holders' models weighted by their forget pairs, and the weighted means of the
  // probes.
  std::vector<std::pair<const TensorMap*, int64_t>> models;
  for (const auto& [run, n] : runs) models.emplace_back(&run.weights, n);
  out.weights = combine_holders(opts.start ? *opts.start : in.original, models);
  int64_t steps = 0;
  bool all_stopped = true;
  double proxy_sum = 0, forget_sum = 0, probed_pairs = 0;
  const int64_t model_bytes = nbytes(in.original);
  for (auto& [run, n] : runs) {
    steps += run.steps;
    all_stopped = all_stopped && run.stopped_early;
    out.cost.local_steps += run.optimizer_steps;
    out.cost.bytes += 2 * model_bytes;
    if (!run.details["proxy_r1"].is_null()) {
      proxy_sum += double(n) * run.details["proxy_r1"].get<double>();
      forget_sum += double(n) * run.details["forget_r1"].get<double>();
      probed_pairs += double(n);
    }
    holders.push_back(std::move(run.details));
  }
  auto mean_or_null = [&](double sum) {
    return probed_pairs > 0 ? nlohmann::json(sum / probed_pairs) : nlohmann::json(nullptr);
  };
  out.details = {{"stop", stop_rule(in, opts)},
                 {"steps", steps},
                 {"stopped_early", all_stopped},
                 {"proxy_r1", mean_or_null(proxy_sum)},
                 {"forget_r1", mean_or_null(forget_sum)},
                 {"holders", std::move(holders)},
                 {"skipped_holders", std::move(skipped)}};
  return out;
}

}  // namespace lethe::unlearn
