// Baselines that read the original run's update history (METHODS.md §2): federaser, pga,
// fedrecovery, history-subtraction. docs/methods/<name>.md give each one's equations and where
// Lethe departs from its paper. Updates are over the trainable parameters; in.original is θ^T.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "lethe/core/error.h"
#include "lethe/core/log.h"
#include "lethe/core/metrics.h"
#include "lethe/core/rng.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/strategies/registry.h"
#include "lethe/train/batch_stream.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/loop.h"
#include "lethe/unlearn/contribution.h"
#include "lethe/unlearn/creamfl_replay.h"
#include "lethe/unlearn/round_engine.h"
#include "lethe/unlearn/methods.h"
#include "lethe/unlearn/streams.h"

namespace lethe::unlearn {

namespace {

using nlohmann::json;


void add_cost(Cost& total, const Cost& part) {
  total.local_steps += part.local_steps;
  total.rounds += part.rounds;
  total.bytes += part.bytes;
}

// Methods that sum over stored rounds see only every `every`-th round of the run.
void warn_if_sparse(const HistoryReader& h, const std::string& method) {
  if (h.every() > 1)
    log::warn("{}: the history holds one round in {} ({} of {} rounds, fl.history_every = {}); "
              "only those are used",
              method, h.every(), h.rounds().size(), h.last_round(), h.every());
}

// ---------------------------------------------------------------------------------------------
// history-subtraction: θ = θ^T − Σ_k s_k·Σ_t p_k^t·Δ_k^t, then recovery rounds.

class HistorySubtraction final : public Unlearner {
 public:
  bool reads_history() const override { return true; }
  UnlearnOutput run(const UnlearnInputs& in) override {
    HistoryReader h(in.run_dir, "history-subtraction");
    h.require_every_round();
    warn_if_sparse(h, "history-subtraction");
    auto theta = clone(in.original);
    json targets = json::array();
    for (const auto& target : targets_of(in)) {
      const auto c = stored_contribution(h, target.client, in.original);
      add_(theta, c.sum, -target.share);
      const double n = norm(c.sum);
      targets.push_back({{"client", target.client},
                         {"share", target.share},
                         {"rounds", c.rounds},
                         {"weights", c.weights},
                         {"contribution_norm", n},
                         {"subtracted_norm", target.share * n}});
    }
    const double subtracted = norm(sub(in.original, theta));
    auto rec = run_rounds(in, theta, in.ucfg.finetune_rounds, "history-subtraction");
    UnlearnOutput out{std::move(rec.weights), rec.cost, h.summary()};
    out.cost.history_bytes_read = h.bytes_read();
    out.details["targets"] = std::move(targets);
    out.details["subtracted_norm"] = subtracted;
    out.details["recovery_rounds"] = in.ucfg.finetune_rounds;
    if (!in.forget.request.is_client())
      out.details["note"] =
          "each holder's stored contribution is scaled by its forget share |D_f ∩ D_k| / |D_k|";
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// fedrecovery: θ = θ^T − c·Σ_t p_t·r_t + N(0, σ²I), r_t = Σ_k s_k·(Δ_k^t − ΔF_t)/(N_t − 1),
// p_t = ‖ΔF_t‖² / Σ_{j≤t} ‖ΔF_j‖². No client computation.

class FedRecovery final : public Unlearner {
 public:
  bool reads_history() const override { return true; }
  UnlearnOutput run(const UnlearnInputs& in) override {
    const auto& u = in.ucfg;
    HistoryReader h(in.run_dir, "fedrecovery");
    h.require_every_round();
    warn_if_sparse(h, "fedrecovery");
    const auto targets = targets_of(in);
    for (const auto& t : targets) h.rounds_answered(t.client);  // each target is on record

    // p_t needs only the increments up to t: one pass, one round in memory at a time.
    auto correction = zeros_like(in.original);  // Σ_t p_t·r_t
    double cumulative = 0;
    json rounds = json::array();
    for (int64_t t : h.rounds()) {
      const auto increment = h.global_increment(t);
      const double sq = std::pow(norm(increment), 2);
      cumulative += sq;
      const double p = cumulative > 0 ? sq / cumulative : 0.0;
      const auto n = static_cast<int64_t>(h.record(t).clients.size());
      json r = {{"round", t}, {"p", p}, {"answered", n}, {"targets", json::array()}};
      if (n >= 2) {
        auto residual = zeros_like(in.original);
        for (const auto& target : targets) {
          if (!h.answered(t, target.client)) continue;
          add_(residual, sub(h.update(t, target.client), increment), target.share / double(n - 1));
          r["targets"].push_back(target.client);
        }
        r["residual_norm"] = norm(residual);
        add_(correction, residual, p);
      } else {
        // A round one client answered alone has no "others" to fall back on: (N − 1) = 0.
        r["note"] = "skipped: a single client answered";
      }
      rounds.push_back(std::move(r));
    }
    UnlearnOutput out{clone(in.original), {}, h.summary()};
    add_(out.weights, correction, -u.fedrecovery.c);
    double noise_norm = 0;
    if (u.fedrecovery.sigma > 0) {
      torch::NoGradGuard ng;
      auto gen = unlearn_generator(in.ctx.seed(), UnlearnTag::kFedRecoveryNoise, -1);
      double sq = 0;
      for (auto& [name, w] : out.weights) {
        auto noise = u.fedrecovery.sigma *
                     torch::randn(w.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat));
        sq += noise.pow(2).sum().item<double>();
        w.add_(noise.to(w.device(), w.scalar_type()));
      }
      noise_norm = std::sqrt(sq);
    }
    out.cost.history_bytes_read = h.bytes_read();
    out.details["rounds"] = std::move(rounds);
    out.details["c"] = u.fedrecovery.c;
    out.details["sigma"] = u.fedrecovery.sigma;
    out.details["correction_norm"] = u.fedrecovery.c * norm(correction);
    out.details["noise_norm"] = noise_norm;
    if (!in.forget.request.is_client())
      out.details["note"] = "each holder's residual is scaled by its forget share |D_f ∩ D_k| / |D_k|";
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// federaser: replay the stored rounds with ⌈r·E⌉ local epochs per retained client, each fresh
// update rescaled per tensor to its stored norm.

// Ũ = ‖U‖·Û/‖Û‖ per tensor (left at 0 where Û is 0: no direction to scale).
void calibrate_(TensorMap& fresh, const TensorMap& stored) {
  torch::NoGradGuard ng;
  check_same_layout(fresh, stored, "federaser: fresh and stored update");
  for (auto& [name, f] : fresh) {
    const double nf = f.norm().item<double>();
    if (nf > 0) f.mul_(stored.at(name).norm().item<double>() / nf);
  }
}

// On a CreamFL run a client's update is its share s_k^t of the server's displacement (the run
// keeps p_k^t·Δ_k^t = s_k^t): the run is replayed from θ^0 with fresh clients training ⌈r·E⌉
// epochs, and every retained client's fresh share is rescaled per tensor to its stored share's
// norms; the rest of each round's displacement (the server's own loss on P) is the replay's.
UnlearnOutput creamfl_federaser(const UnlearnInputs& in, HistoryReader& h, int64_t epochs) {
  LETHE_CHECK(h.complete() && !h.rounds().empty() && h.rounds().front() == 1,
              "federaser on a CreamFL run replays every round from θ^0 and needs each one's shares: "
              "train with fl.history_every = 1 (this history holds one round in {})",
              h.every());
  json rounds = json::array();
  auto calibrate = [&](int64_t t, int64_t k, TensorMap& share) {
    LETHE_CHECK(h.answered(t, k), "federaser: client {} answered round {} of the replay but the history holds no "
                "share of it for that round", k, t);
    auto stored = h.update(t, k);
    for (auto& [name, u] : stored) u.mul_(h.weight(t, k));  // s_k^t = p_k^t·Δ_k^t
    const double fresh = norm(share);
    calibrate_(share, stored);
    rounds.push_back({{"round", t}, {"client", k}, {"fresh_norm", fresh}, {"calibrated_norm", norm(share)}});
  };
  auto server = model_with(in, h.global_before(1));
  std::filesystem::remove_all(in.work_dir + "/federaser");
  MetricsWriter metrics(in.work_dir + "/federaser/metrics.jsonl");
  const auto totals = replay_creamfl(in, server, in.work_dir + "/federaser/run", metrics,
                                     {.share_filter = calibrate, .local_epochs = epochs});
  UnlearnOutput out{experiment::trainable_parameters(server), federation_cost(totals), h.summary()};
  out.cost.history_bytes_read = h.bytes_read();
  out.details["calibration_epochs"] = epochs;
  out.details["calibrated_shares"] = std::move(rounds);
  return out;
}

class FedEraser final : public Unlearner {
 public:
  bool reads_history() const override { return true; }
  UnlearnOutput run(const UnlearnInputs& in) override {
    HistoryReader h(in.run_dir, "federaser");
    h.require_every_round();
    const auto epochs =
        std::max<int64_t>(1, std::ceil(in.ucfg.federaser.r * double(in.cfg.fl.local_epochs)));
    if (experiment::run_kind(in.cfg) == experiment::RunKind::kCreamFl) return creamfl_federaser(in, h, epochs);
    // The original server rule (FedAvg for the paper), its state rebuilt along the replay.
    auto strategy = strategies::make_strategy(in.cfg.fl);
    experiment::ClipClient client(model_with(in, in.original), in.ds, in.tokens,
                                  in.forget.retained.train, in.forget.retained.val, in.cfg.train,
                                  in.ctx);
    const auto& removed = in.forget.removed_clients;
    const fl::LocalRules no_rules;
    const int64_t model_bytes = nbytes(in.original);

    UnlearnOutput out;
    auto theta = h.global_before(h.rounds().front());
    json rounds = json::array();
    for (int64_t t : h.rounds()) {
      auto aggregator = strategy->make_aggregator(t);
      json r = {{"round", t}, {"clients", json::array()}, {"skipped", json::array()}};
      for (int64_t k : h.record(t).clients) {
        if (std::count(removed.begin(), removed.end(), k)) continue;
        // A holder left with < 2 pairs has no contrastive batch to calibrate with.
        if (in.forget.retained.train[k].size() < 2) {
          r["skipped"].push_back(k);
          continue;
        }
        // The original round's client settings (learning-rate scale, FedProx's μ): a strategy
        // offered a single client samples it.
        auto fit = strategy->configure_fit(t, {k}, in.ctx.seed()).at(0).config;
        fit.local_epochs = epochs;
        auto res = client.fit(k, fl::FitIns{theta, t, in.ctx.seed(), fit, no_rules});
        calibrate_(res.update, h.update(t, k));
        aggregator->add(k, std::move(res.update), double(res.num_examples));
        out.cost.local_steps += res.steps;
        out.cost.bytes += 2 * model_bytes;
        r["clients"].push_back(k);
      }
      if (aggregator->count() > 0) {
        theta = strategy->aggregate_fit(t, theta, *aggregator);
        ++out.cost.rounds;
      }
      rounds.push_back(std::move(r));
    }
    out.weights = std::move(theta);
    out.cost.history_bytes_read = h.bytes_read();
    out.details = h.summary();
    out.details["calibration_epochs"] = epochs;
    out.details["rounds"] = std::move(rounds);
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// pga: projected gradient ascent of the holders inside B(w_ref, δ), then fine-tuning rounds.

// w ← center + (w − center)·min(1, radius/‖w − center‖), the norm over every tensor at once.
void project_to_ball_(TensorMap& w, const TensorMap& center, double radius) {
  torch::NoGradGuard ng;
  const double d = norm(sub(w, center));
  if (d <= radius) return;
  for (auto& [name, t] : w) {
    const auto& c = center.at(name);
    t.copy_(c + (t - c) * (radius / d));
  }
}

// The stored round in which `client` last answered together with others (N ≥ 2).
int64_t last_shared_round(const HistoryReader& h, int64_t client) {
  const auto rounds = h.rounds_answered(client);
  for (auto it = rounds.rbegin(); it != rounds.rend(); ++it)
    if (h.record(*it).clients.size() >= 2) return *it;
  throw InputError(fmt::format(
      "pga needs client {}'s last local model from a round it shared with another client "
      "(w_ref = (N·θ^T − θ_u)/(N − 1) needs N ≥ 2), but the history holds none; train with "
      "fl.history_every = 1",
      client));
}

struct Ascent {
  TensorMap weights;
  json details;
};

// `steps` steps of gradient ascent on L_CLIP over `pairs` from w_ref with the clients' optimiser
// (AdamW at pga.lr, no weight decay, gradient norm clipped to ascent_clip), projected back into
// B(w_ref, δ) after each step.
Ascent ascend_in_ball(const UnlearnInputs& in, const TensorMap& w_ref, double delta, int64_t client,
                      const std::vector<int64_t>& pairs) {
  const auto& u = in.ucfg;
  auto model = model_with(in, w_ref);
  TensorMap params;  // aliases of the model's trainable parameters
  for (const auto& p : model->named_parameters())
    if (w_ref.count(p.key())) params[p.key()] = p.value();
  auto tcfg = in.cfg.train;
  tcfg.lr = u.pga.lr;
  tcfg.weight_decay = 0.0;  // a pull towards 0 is no part of leaving the ball's centre
  tcfg.clip_grad = u.ascent_clip;
  auto opt = train::make_optimizer(model, tcfg);
  // Descent on the negated gradient is ascent; the clip and the step stay the shared loop's.
  train::LoopHooks hooks;
  hooks.after_backward = [&] {
    for (auto& [name, p] : params)
      if (p.grad().defined()) p.mutable_grad().neg_();
  };
  train::BatchMaker maker(in.ds, in.tokens, in.cfg.train.augment_shift);
  train::BatchStream batches(maker, pairs, tcfg.batch_size,
                             unlearn_engine(in.ctx.seed(), UnlearnTag::kPgaBatch, client));
  json losses = json::array();
  model->train();
  for (int64_t s = 0; s < u.pga.steps; ++s) {
    losses.push_back(train::train_step(model, *opt, batches.next(), tcfg, in.ctx, hooks));
    project_to_ball_(params, w_ref, delta);
  }
  Ascent a{experiment::trainable_parameters(model), {}};
  a.details = {{"client", client},
               {"forget_pairs", pairs.size()},
               {"steps", u.pga.steps},
               {"loss_first", losses.front()},
               {"loss_last", losses.back()},
               {"distance_to_ref", norm(sub(a.weights, w_ref))}};
  return a;
}

class Pga final : public Unlearner {
 public:
  bool reads_history() const override { return true; }
  UnlearnOutput run(const UnlearnInputs& in) override {
    const auto& u = in.ucfg;
    HistoryReader h(in.run_dir, "pga");
    const auto targets = targets_of(in);

    // w_ref = θ^T − Σ_k s_k·(θ_k − θ^T)/(N_k − 1), θ_k = global_before(t_k) + Δ_k^{t_k}; one
    // client request: (N·θ^T − θ_u)/(N − 1).
    auto w_ref = clone(in.original);
    json refs = json::array();
    for (const auto& target : targets) {
      const int64_t t = last_shared_round(h, target.client);
      const auto n = static_cast<int64_t>(h.record(t).clients.size());
      const auto local = add(h.global_before(t), h.update(t, target.client));
      add_(w_ref, sub(local, in.original), -target.share / double(n - 1));
      refs.push_back({{"client", target.client}, {"round", t}, {"answered", n}, {"share", target.share}});
    }

    // δ = scale · mean_i ‖w_ref − w_rand,i‖ over fresh initialisations.
    double distance_sum = 0;
    for (int64_t i = 0; i < u.pga.random_inits; ++i) {
      auto random = train::make_model(in.model_cfg, unlearn_seed(in.ctx.seed(), UnlearnTag::kPgaInit, i));
      distance_sum += norm(sub(w_ref, experiment::trainable_parameters(random)));
    }
    const double mean_distance = distance_sum / double(u.pga.random_inits);
    const double delta = u.pga.radius_scale * mean_distance;

    // Each holder with a contrastive batch ascends; the server averages them by forget pairs
    // (a convex combination: the mean stays in the ball).
    UnlearnOutput out;
    TensorMap ascended = zeros_like(w_ref);
    json holders = json::array(), skipped = json::array();
    double total_pairs = 0;
    for (const auto& target : targets) {
      if (target.forget_pairs.size() < 2) {
        skipped.push_back(target.client);
        continue;
      }
      auto a = ascend_in_ball(in, w_ref, delta, target.client, target.forget_pairs);
      const double n = double(target.forget_pairs.size());
      add_(ascended, a.weights, n);
      total_pairs += n;
      out.cost.local_steps += u.pga.steps;
      out.cost.bytes += 2 * nbytes(in.original);
      holders.push_back(std::move(a.details));
    }
    LETHE_CHECK(total_pairs > 0,
                "pga: request '{}': no holder of the forget set has 2 forget pairs to ascend on",
                in.forget.request.str());
    ascended = scale(ascended, 1.0 / total_pairs);
    out.cost.rounds = 1;

    const double distance = norm(sub(ascended, w_ref));
    auto ft = run_rounds(in, ascended, u.finetune_rounds, "pga");
    out.weights = std::move(ft.weights);
    add_cost(out.cost, ft.cost);
    out.cost.history_bytes_read = h.bytes_read();
    out.details = h.summary();
    out.details["w_ref"] = std::move(refs);
    out.details["delta"] = delta;
    out.details["mean_random_distance"] = mean_distance;
    out.details["random_inits"] = u.pga.random_inits;
    out.details["distance_to_ref"] = distance;
    out.details["holders"] = std::move(holders);
    out.details["skipped_holders"] = std::move(skipped);
    out.details["finetune_rounds"] = u.finetune_rounds;
    if (!in.forget.request.is_client())
      out.details["note"] =
          "holders ascend on their D_f pairs; w_ref removes each holder's last local update scaled "
          "by its forget share |D_f ∩ D_k| / |D_k|";
    return out;
  }
};

}  // namespace

void register_history_methods(Registry<UnlearnerFactory>& r) {
  r.add("federaser",
        "FedEraser: replay the stored rounds with ⌈r·E⌉ local epochs, updates calibrated to the stored norms",
        [] { return std::make_unique<FedEraser>(); });
  r.add("fedrecovery",
        "FedRecovery: subtract the weighted residuals of the target's stored updates, plus Gaussian noise",
        [] { return std::make_unique<FedRecovery>(); });
  r.add("history-subtraction",
        "subtract the target's stored contribution Σ_t p_u^t·Δ_u^t, then recovery rounds",
        [] { return std::make_unique<HistorySubtraction>(); });
  r.add("pga",
        "projected gradient ascent of the target inside a ball around w_ref, then fine-tuning rounds",
        [] { return std::make_unique<Pga>(); });
}

}  // namespace lethe::unlearn
