// EASE (METHODS.md §3, docs/methods/ease.md): per weight matrix of both towers, the target's
// update subspace is split against the retained clients' (GSD); the target's contribution is
// excised along the forget directions, weighted by how exclusive they are; the holders of D_f
// push their forget pairs apart in both towers (BKE), off the retain support; the Forget Lock
// then keeps every later round off the forget-exclusive directions E.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "lethe/core/error.h"
#include "lethe/core/log.h"
#include "lethe/core/rng.h"
#include "lethe/core/run_folder.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/train/batch_stream.h"
#include "lethe/unlearn/ascent.h"
#include "lethe/unlearn/contribution.h"
#include "lethe/unlearn/round_engine.h"
#include "lethe/unlearn/gsd.h"
#include "lethe/unlearn/methods.h"
#include "lethe/unlearn/streams.h"

namespace lethe::unlearn {

namespace {

using nlohmann::json;


bool in_image_tower(const std::string& name) { return name.rfind("visual.", 0) == 0; }

// The tensor of `weights` a GSD module acts on: the module itself (full-parameter training) or
// its LoRA up-projection "<module>lora_B" (the history's thin-QR sketches of B·A).
const std::string* target_tensor(const TensorMap& weights, const std::string& module) {
  if (auto it = weights.find(module); it != weights.end()) return &it->first;
  if (auto it = weights.find(module + "lora_B"); it != weights.end()) return &it->first;
  return nullptr;
}

bool is_lora_down(const std::string& name) { return name.ends_with("lora_A"); }

// Tensor name → the GSD module acting on it (LoRA down-projections have none).
std::map<std::string, std::string> tensor_modules(const TensorMap& weights, const Gsd& gsd) {
  std::map<std::string, std::string> out;
  for (const auto& [module, split] : gsd.modules())
    if (const auto* t = target_tensor(weights, module); t && !is_lora_down(*t)) out[*t] = module;
  return out;
}

// Column-space factors of both sides, per module.
struct Factors {
  TensorMap forget;
  std::map<std::string, std::vector<torch::Tensor>> retain;
  json details = json::object();
  int64_t bytes_read = 0;
  int64_t local_steps = 0;
};

// Whether client k's stored sketch may join a retain basis. A record that is not finite (a run
// from before updates were screened, a damaged file) is an error about that record: left out,
// logged and listed in `skipped`, never folded into a basis.
bool finite_sketch(int64_t k, const TensorMap& s, json& skipped) {
  const auto bad = describe_nonfinite(s);
  if (bad.empty()) return true;
  log::warn("ease: the update sketch of client {} is left out of the retain basis: {}", k, bad);
  skipped.push_back({{"client", k}, {"reason", bad}});
  return false;
}

// Client request: the target's sketch against every other client's.
Factors sketch_factors(const UnlearnInputs& in) {
  const auto history = fl::UpdateHistory::open(RunFolder(in.run_dir).history());
  const auto sketched = history.sketched_clients();
  const int64_t target = in.forget.removed_clients.at(0);
  LETHE_CHECK(std::binary_search(sketched.begin(), sketched.end(), target),
              "ease: the run kept no update sketch of client {} (train with fl.sketch_max_rank > 0)",
              target);
  Factors f;
  json retained = json::array(), skipped = json::array();
  for (int64_t k : sketched) {
    auto s = history.sketch(k);
    f.bytes_read += nbytes(s);
    if (k == target) {
      const auto bad = describe_nonfinite(s);
      LETHE_CHECK(bad.empty(), "ease: the stored update sketch of client {} is unusable ({}): no "
                  "forget basis can be computed from it", target, bad);
      f.forget = std::move(s);
      continue;
    }
    if (!finite_sketch(k, s, skipped)) continue;
    for (auto& [name, t] : s) f.retain[name].push_back(std::move(t));
    retained.push_back(k);
  }
  f.details = {{"forget", fmt::format("sketch of client {}", target)}, {"retain_clients", retained}};
  if (!skipped.empty()) f.details["skipped_sketches"] = skipped;
  return f;
}

// `batches` gradients of L_CLIP at θ^T on batches of `pairs`, per 2-D trainable tensor, side by
// side (d × batches·n): the column space the forget (or retain) data pulls each matrix along.
TensorMap gradient_factors(const UnlearnInputs& in, const std::vector<int64_t>& pairs, int64_t batches,
                           UnlearnTag tag, int64_t& steps) {
  auto model = model_with(in, in.original);
  model->train();
  TensorMap params;
  for (const auto& p : model->named_parameters())
    if (in.original.count(p.key()) && p.value().dim() == 2) params[p.key()] = p.value();
  train::BatchMaker maker(in.ds, in.tokens, in.cfg.train.augment_shift);
  train::BatchStream stream(maker, pairs, in.cfg.train.batch_size,
                            unlearn_engine(in.ctx.seed(), tag, -1));
  std::map<std::string, std::vector<torch::Tensor>> cols;
  for (int64_t b = 0; b < batches; ++b) {
    model->zero_grad();
    torch::Tensor loss;
    {
      AutocastGuard ac(in.ctx);
      loss = embed(model, stream.next(), in.ctx).clip_loss();
    }
    loss.backward();
    for (const auto& [name, p] : params)
      if (p.grad().defined()) cols[name].push_back(p.grad().detach().to(torch::kFloat).clone());
  }
  steps += batches;
  TensorMap out;
  for (auto& [name, c] : cols) out[name] = torch::cat(c, 1);
  return out;
}

// Sample and concept requests: fresh forget gradients against the retained clients' sketches
// (clients that hold no forget pair) and the holders' own retain gradients.
Factors gradient_side_factors(const UnlearnInputs& in) {
  const auto& u = in.ucfg;
  Factors f;
  LETHE_CHECK(in.forget.forget.size() >= 2, "ease: request '{}' has {} forget pair(s); a gradient needs 2",
              in.forget.request.str(), in.forget.forget.size());
  f.forget = gradient_factors(in, in.forget.forget, u.ease.gradient_batches, UnlearnTag::kEaseForgetGradient, f.local_steps);
  std::vector<int64_t> holder_retain;
  for (int64_t k : in.forget.holders) {
    const auto& r = in.forget.retained.train[k];
    holder_retain.insert(holder_retain.end(), r.begin(), r.end());
  }
  std::sort(holder_retain.begin(), holder_retain.end());
  if (holder_retain.size() >= 2)
    for (auto& [name, t] : gradient_factors(in, holder_retain, u.ease.gradient_batches, UnlearnTag::kEaseRetainGradient,
                                            f.local_steps))
      f.retain[name].push_back(std::move(t));
  json retained = json::array(), skipped = json::array();
  if (const RunFolder run(in.run_dir); run.has_history()) {
    const auto history = fl::UpdateHistory::open(run.history());
    for (int64_t k : history.sketched_clients()) {
      if (std::binary_search(in.forget.holders.begin(), in.forget.holders.end(), k)) continue;
      auto s = history.sketch(k);
      f.bytes_read += nbytes(s);
      if (!finite_sketch(k, s, skipped)) continue;
      for (auto& [name, t] : s) f.retain[name].push_back(std::move(t));
      retained.push_back(k);
    }
  }
  f.details = {{"forget", fmt::format("{} gradient batches of D_f", u.ease.gradient_batches)},
               {"retain_clients", retained},
               {"retain_gradient_pairs", holder_retain.size()}};
  if (!skipped.empty()) f.details["skipped_sketches"] = skipped;
  return f;
}

// Whether a sample or concept request attributes to D_f, beyond its pair share of every
// update, the rest of the updates' forget component (unlearn.ease.attribution). Without GSD
// (gsd = off) there is no forget component to tell apart.
bool subspace_attribution(const UnlearnInputs& in) {
  const auto& a = in.ucfg.ease.attribution;
  return !in.forget.request.is_client() && in.ucfg.ease.gsd != "off" && (a == "subspace" || a == "auto");
}

// Renormalisation re-weights the rounds as if the others alone had answered them: a client that
// leaves. A sample or concept request's holders stay and did answer those rounds with their
// other data, so their share is removed as it was added (measured: docs/methods/ease.md).
bool renormalised(const UnlearnInputs& in) {
  return in.ucfg.ease.renormalise && in.forget.request.is_client();
}

// The removal of the targets' stored contribution, summed separately over the rounds before
// `first_exact` (early) and from it on (exact), one read of each stored update:
//   renormalised: Σ_t p_u/(1 − p_u)·(Δ_u^t − ΔF_t), the rounds as if the others alone had
//     answered them at full step (a round the target answered alone: Δ_u^t);
//   otherwise:    Σ_t p_u·Δ_u^t.
// Sample and concept requests scale each holder's removal by its forget share s_u. Subspace
// attribution adds `component` = Σ_t (1 − s_u)·p_u·Δ_u^t over every round, of which only the
// forget component G goes: the directions the holder's retained data does not pull along are
// D_f's whole, whatever its share of the pairs.
struct Removal {
  TensorMap early, exact, component;
  json targets = json::array();
};
Removal stored_removal(const UnlearnInputs& in, HistoryReader& h, int64_t first_exact) {
  const bool subspace = subspace_attribution(in);
  const bool renormalise = renormalised(in);
  Removal r{zeros_like(in.original), zeros_like(in.original), {}};
  if (subspace) r.component = zeros_like(in.original);
  for (const auto& target : targets_of(in)) {
    const auto rounds = h.rounds_answered(target.client);
    for (int64_t t : rounds) {
      auto& sum = t < first_exact ? r.early : r.exact;
      const double p = h.weight(t, target.client);
      auto update = h.update(t, target.client);
      if (subspace) add_(r.component, update, (1.0 - target.share) * p);
      if (!renormalise) {
        add_(sum, update, target.share * p);
      } else if (p < 1.0) {
        add_(sum, sub(update, h.global_increment(t)), target.share * p / (1.0 - p));
      } else {
        add_(sum, update, target.share);
      }
    }
    r.targets.push_back({{"client", target.client}, {"share", target.share}, {"rounds", rounds}});
  }
  return r;
}

// θ ← θ^T − G(R_early) − R_late: R_late is the removal in the last unlearn.ease.exact_rounds
// rounds, taken whole (with renormalisation, those rounds become exactly the FedAvg rounds of
// the others from the stored models); G acts per module (GSD on its column space) on the rest.
// Tensors that are not matrices (biases, norms, the logit scale) have no column space to split:
// their removal goes whole.
// unlearn.ease.exact_rounds = -1 picks by request and regime. A sample or concept request's
// share s_u of a holder's updates is D_f's by count: it goes whole in every round (GSD decides
// only the rest, the subspace attribution's component). For a client request: with LoRA
// adapters on a frozen backbone every client adapts the same pretrained features, so few
// directions of a client's updates are exclusive and the GSD alone removes about half of what
// it added; removing the later two thirds of the rounds whole closes the gap at little retain
// cost; full-parameter training, the last round (measured: docs/methods/ease.md).
int64_t exact_rounds(const UnlearnInputs& in) {
  if (in.ucfg.ease.exact_rounds >= 0) return in.ucfg.ease.exact_rounds;
  const int64_t rounds = in.cfg.fl.rounds;
  if (!in.forget.request.is_client()) return rounds;
  return in.model_cfg.lora_rank > 0 ? std::max<int64_t>(1, rounds - rounds / 3) : 1;
}

TensorMap excise_contribution(const UnlearnInputs& in, const Gsd& gsd, GsdMode mode, HistoryReader& h,
                              json& details) {
  h.require_every_round();
  const bool subspace = subspace_attribution(in);
  const int64_t exact = exact_rounds(in);
  auto removal = stored_removal(in, h, h.last_round() - exact + 1);
  details["targets"] = std::move(removal.targets);
  details["attribution"] = subspace ? "subspace" : "share";
  details["exact_rounds"] = exact;
  details["removal_norm"] = norm(removal.early);
  details["exact_removal_norm"] = norm(removal.exact);
  auto theta = sub(in.original, removal.exact);
  torch::NoGradGuard ng;
  const auto module_of = tensor_modules(in.original, gsd);
  double removed_sq = 0;
  for (auto& [name, w] : theta) {
    const auto& r = removal.early.at(name);
    torch::Tensor part;
    if (r.dim() != 2) {
      part = r;
    } else if (auto it = module_of.find(name); it != module_of.end()) {
      part = gsd.forget_component(it->second, subspace ? r + removal.component.at(name) : r, mode);
    } else {
      part = mode == GsdMode::kOff ? r : torch::zeros_like(r);
    }
    removed_sq += part.to(torch::kFloat64).pow(2).sum().item<double>();
    w.sub_(part.to(w.scalar_type()));
  }
  details["removed_norm"] = std::sqrt(removed_sq);
  return theta;
}

// W ← W − G(W − W₀) per module (W₀: the run's initial weights; LoRA: B₀ = 0, so this is
// B ← B − G(B), the closed form (I − EEᵀ)B for the hard mode).
TensorMap excise_weights(const UnlearnInputs& in, const Gsd& gsd, GsdMode mode, json& details) {
  auto init_model = initial_model(in);
  const auto initial = experiment::trainable_parameters(init_model);
  auto theta = clone(in.original);
  torch::NoGradGuard ng;
  double removed_sq = 0;
  for (const auto& [name, module] : tensor_modules(theta, gsd)) {
    auto& w = theta.at(name);
    auto part = gsd.forget_component(module, w - initial.at(name).to(w.device()), mode);
    removed_sq += part.to(torch::kFloat64).pow(2).sum().item<double>();
    w.sub_(part.to(w.scalar_type()));
  }
  details["removed_norm"] = std::sqrt(removed_sq);
  return theta;
}

// BKE's gradient filter: the towers it may not touch zeroed and, on its forget steps
// (`project`), the retain-orthogonal projection of every matrix with a retain basis. The
// anchor's retain steps are not projected: they act on the retain support by design.
std::function<void(TensorMap&)> bke_filter(const UnlearnInputs& in, const Gsd& gsd, bool project) {
  std::map<std::string, std::string> module_of;
  if (project) module_of = tensor_modules(in.original, gsd);
  const std::string towers = in.ucfg.ease.bke;
  return [module_of, towers, &gsd](TensorMap& grads) {
    for (auto& [name, g] : grads) {
      const bool image = in_image_tower(name);
      if ((towers == "image" && !image) || (towers == "text" && image)) {
        g.zero_();
        continue;
      }
      if (auto it = module_of.find(name); it != module_of.end() && g.dim() == 2)
        g.copy_(gsd.retain_orthogonal(it->second, g));
    }
  };
}

// The lock's bases keyed by the tensors they act on (LoRA: the up-projections).
fl::ForgetLock make_lock(const UnlearnInputs& in, const Gsd& gsd) {
  fl::ForgetLock lock;
  if (!in.ucfg.ease.lock) return lock;
  lock.beta = in.ucfg.ease.lock_beta;
  const auto bases = gsd.exclusive_bases();
  for (const auto& [tensor, module] : tensor_modules(in.original, gsd))
    if (auto it = bases.find(module); it != bases.end()) lock.bases[tensor] = it->second;
  return lock;
}

// The settings `auto` stands for, per request (docs/methods/ease.md): BKE on both towers for
// sample and concept requests (their holders stay and hold D_f) and none for a client request.
// BKE stops on θ^T's R@1 over the holder's own validation pairs, the same distribution as its
// forget pairs; a concept's holders rarely keep two of its units for validation, and the test
// pairs that mention it stopped BKE too early on 2 of 3 seeds (measured), so a concept's BKE
// runs its step budget.
void resolve_for_request(UnlearnConfig& u, const Request& request) {
  auto& e = u.ease;
  if (e.bke == "auto") e.bke = request.is_client() ? "none" : "both";
  if (e.bke_stop == "auto") e.bke_stop = request.kind == Request::Kind::kConcept ? "budget" : "holdout";
}

class Ease final : public Unlearner {
 public:
  // `ablation` changes the [unlearn] knobs of one ablation (nothing for ease itself).
  explicit Ease(std::function<void(UnlearnConfig&)> ablation = {}) : ablation_(std::move(ablation)) {}
  bool reads_history() const override { return true; }  // the excision's Δ_u^t

  UnlearnOutput run(const UnlearnInputs& given) override {
    auto ucfg = given.ucfg;
    if (ablation_) ablation_(ucfg);
    resolve_for_request(ucfg, given.forget.request);
    const UnlearnInputs in{given.cfg,      given.ctx,       given.ds,   given.tokens,
                           given.clients,  given.forget,    given.original, given.model_cfg,
                           ucfg,           given.run_dir,   given.work_dir,
                           given.federation, given.pretrained};
    const auto& u = in.ucfg;
    const auto mode = parse_gsd_mode(u.ease.gsd);
    UnlearnOutput out;
    auto& d = out.details;

    // 1. GSD.
    auto factors = in.forget.request.is_client() ? sketch_factors(in) : gradient_side_factors(in);
    const GsdOptions opts{u.ease.energy, u.ease.max_rank, u.ease.tau_deg * M_PI / 180.0, u.ease.soft_power};
    const auto gsd = Gsd::compute(factors.forget, factors.retain, opts);
    out.cost.history_bytes_read += factors.bytes_read;
    out.cost.local_steps += factors.local_steps;
    d["gsd"] = gsd.summary();
    d["gsd"]["mode"] = u.ease.gsd;
    d["gsd"]["tau_deg"] = u.ease.tau_deg;
    d["gsd"]["bases"] = std::move(factors.details);
    log::info("ease: GSD over {} modules, |E| = {} directions in {} modules", gsd.modules().size(),
              gsd.exclusive_directions(), d["gsd"]["modules_with_exclusive"].get<int64_t>());

    // 2. Excision (server, closed form).
    TensorMap theta;
    d["excision"] = {{"mode", u.ease.excision}};
    if (u.ease.excision == "contribution") {
      HistoryReader h(in.run_dir, "ease");
      d["excision"]["renormalise"] = renormalised(in);
      theta = excise_contribution(in, gsd, mode, h, d["excision"]);
      out.cost.history_bytes_read += h.bytes_read();
    } else {
      theta = excise_weights(in, gsd, mode, d["excision"]);
    }

    // 3. Bilateral knowledge excision on the holders of D_f, and 4. recovery rounds on the
    // retained clients under the Forget Lock (in the order unlearn.ease.bke_last says).
    auto bke_step = [&] {
      if (u.ease.bke == "none") {
        d["bke"] = {{"skipped", "unlearn.ease.bke = none"}};
      } else if (u.ease.target_left) {
        d["bke"] = {{"skipped", "the target has left the federation: excision and lock only"}};
        log::warn("ease: the target has left; bilateral knowledge excision skipped");
      } else {
        auto bke = run_ascent(in, AscentOptions{.objective = AscentObjective::kBke,
                                                .start = &theta,
                                                .steps = u.ease.bke_steps,
                                                .lr = u.ease.bke_lr,
                                                .retain_anchor = u.ease.bke_anchor,
                                                .stop = u.ease.bke_stop,
                                                .matched_proxy = true,
                                                .gradient_filter = bke_filter(in, gsd, true),
                                                .retain_gradient_filter = bke_filter(in, gsd, false)});
        theta = std::move(bke.weights);
        out.cost.local_steps += bke.cost.local_steps;
        out.cost.bytes += bke.cost.bytes;
        out.cost.rounds += bke.cost.rounds;
        d["bke"] = std::move(bke.details);
        d["bke"]["towers"] = u.ease.bke;
        d["bke"]["anchor"] = u.ease.bke_anchor;
      }
    };
    out.lock = make_lock(in, gsd);
    auto recovery_step = [&] {
      auto rec = run_rounds(in, theta, u.ease.recovery_rounds, "ease",
                            {.lock = out.lock, .local_steps = u.ease.recovery_steps});
      theta = std::move(rec.weights);
      out.cost.local_steps += rec.cost.local_steps;
      out.cost.bytes += rec.cost.bytes;
      out.cost.rounds += rec.cost.rounds;
    };
    if (u.ease.bke_last) {
      recovery_step();
      bke_step();
    } else {
      bke_step();
      recovery_step();
    }
    out.weights = std::move(theta);
    // The server projected during unlearning; later rounds get the lock in the form asked for.
    if (!out.lock.empty() && u.ease.lock_form == "penalty") out.lock = out.lock.as_penalty(out.weights, u.ease.lock_lambda);
    d["lock"] = {{"enabled", u.ease.lock},
                 {"beta", u.ease.lock_beta},
                 {"form", u.ease.lock_form},
                 {"directions", out.lock.directions()}};
    if (u.ease.lock_form == "penalty") d["lock"]["lambda"] = u.ease.lock_lambda;
    d["recovery_rounds"] = u.ease.recovery_rounds;
    d["recovery_steps"] = u.ease.recovery_steps;
    d["bke_last"] = u.ease.bke_last;
    return out;
  }

 private:
  std::function<void(UnlearnConfig&)> ablation_;
};

// The ablations of METHODS.md §3 (the lock's is the re-anchoring with and without it), each on
// the requests where it changes what ease does.
enum class Applies { kAll, kClient, kData };  // kData: sample and concept requests
struct Ablation {
  const char* name;
  const char* what;
  void (*tweak)(UnlearnConfig&);
  Applies applies;
};
constexpr Ablation kAblations[] = {
    {"ease-bke", "EASE ablation: with bilateral knowledge excision on both towers",
     [](UnlearnConfig& u) { u.ease.bke = "both"; }, Applies::kClient},
    {"ease-image-bke", "EASE ablation: unilateral BKE on the image tower only",
     [](UnlearnConfig& u) { u.ease.bke = "image"; }, Applies::kAll},
    {"ease-text-bke", "EASE ablation: unilateral BKE on the text tower only",
     [](UnlearnConfig& u) { u.ease.bke = "text"; }, Applies::kAll},
    {"ease-no-bke", "EASE ablation: no bilateral knowledge excision (sample and concept requests)",
     [](UnlearnConfig& u) { u.ease.bke = "none"; }, Applies::kData},
    {"ease-no-anchor", "EASE ablation: BKE without its retain anchor (sample and concept requests)",
     [](UnlearnConfig& u) { u.ease.bke_anchor = false; }, Applies::kData},
    {"ease-share", "EASE ablation: a holder's D_f part is its pair share only, no subspace attribution",
     [](UnlearnConfig& u) { u.ease.attribution = "share"; }, Applies::kData},
    {"ease-no-gsd", "EASE ablation: no GSD, the whole forget side is excised",
     [](UnlearnConfig& u) { u.ease.gsd = "off"; }, Applies::kAll},
    {"ease-no-recovery", "EASE ablation: excision only, no recovery round",
     [](UnlearnConfig& u) { u.ease.recovery_rounds = 0; }, Applies::kAll},
    // The same model as ease's; the lock differs, so only re-anchoring (unlearn.post_rounds) tells them apart.
    {"ease-penalty-lock", "EASE ablation: the paper's client-side penalty lock on later rounds instead of the server's projection",
     [](UnlearnConfig& u) { u.ease.lock_form = "penalty"; }, Applies::kAll},
};

const Ablation* find_ablation(const std::string& method) {
  for (const auto& a : kAblations)
    if (method == a.name) return &a;
  return nullptr;
}

}  // namespace

bool is_ablation(const std::string& method) { return find_ablation(method) != nullptr; }

bool ablation_applies(const std::string& method, const Request& request) {
  const auto* a = find_ablation(method);
  LETHE_ASSERT(a != nullptr);
  switch (a->applies) {
    case Applies::kAll: return true;
    case Applies::kClient: return request.is_client();
    case Applies::kData: return !request.is_client();
  }
  return true;
}

void register_ease(Registry<UnlearnerFactory>& r) {
  r.add("ease",
        "EASE: GSD-weighted excision of the target's stored contribution, a recovery round under the Forget Lock (BKE optional)",
        [] { return std::make_unique<Ease>(); });
  for (const auto& a : kAblations)
    r.add(a.name, a.what, [tweak = a.tweak] { return std::make_unique<Ease>(tweak); });
}

}  // namespace lethe::unlearn
