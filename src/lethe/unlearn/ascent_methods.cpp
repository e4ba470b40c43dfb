// The gradient-ascent baselines (METHODS.md §2): ga, ga+ft, npo, graddiff, klmin. Each is the
// shared local loop of ascent.h with its objective; ga+ft adds finetune rounds.
#include "lethe/unlearn/ascent.h"
#include "lethe/unlearn/round_engine.h"
#include "lethe/unlearn/methods.h"

namespace lethe::unlearn {

namespace {

// The holders' local loop with `objective`, then `finetune` ? ucfg.finetune_rounds : 0 rounds of
// the original strategy on the retained clients.
class Ascent final : public Unlearner {
 public:
  Ascent(AscentObjective objective, bool finetune) : objective_(objective), finetune_(finetune) {}

  UnlearnOutput run(const UnlearnInputs& in) override {
    auto out = run_ascent(in, objective_);
    if (!finetune_) return out;
    auto ft = run_rounds(in, out.weights, in.ucfg.finetune_rounds, "ga-ft");
    out.weights = std::move(ft.weights);
    out.cost.rounds += ft.cost.rounds;
    out.cost.local_steps += ft.cost.local_steps;
    out.cost.bytes += ft.cost.bytes;
    out.details["finetune_rounds"] = ft.cost.rounds;
    return out;
  }

 private:
  AscentObjective objective_;
  bool finetune_;
};

}  // namespace

void register_ascent_methods(Registry<UnlearnerFactory>& r) {
  using O = AscentObjective;
  r.add("ga", "the holders of D_f maximise the CLIP loss on it (clipped, stopped by ρ or a step cap)",
        [] { return std::make_unique<Ascent>(O::kGradientAscent, false); });
  r.add("ga+ft", "ga, then finetune rounds of the original strategy on the retained clients",
        [] { return std::make_unique<Ascent>(O::kGradientAscent, true); });
  r.add("npo", "negative preference optimisation on D_f against the trained model (β = npo_beta)",
        [] { return std::make_unique<Ascent>(O::kNpo, false); });
  r.add("graddiff", "alternating ascent steps on D_f and descent steps on retained pairs",
        [] { return std::make_unique<Ascent>(O::kGradDiff, false); });
  r.add("klmin", "graddiff plus KL to the trained model's in-batch predictions on retained pairs",
        [] { return std::make_unique<Ascent>(O::kKlMin, false); });
}

}  // namespace lethe::unlearn
