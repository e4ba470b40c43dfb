// Baselines that only run federated rounds: finetune (METHODS.md §2).
#include "lethe/unlearn/round_engine.h"
#include "lethe/unlearn/methods.h"

namespace lethe::unlearn {

namespace {

// R rounds of the original strategy on the retained clients, from θ^T.
class Finetune final : public Unlearner {
 public:
  UnlearnOutput run(const UnlearnInputs& in) override {
    auto r = run_rounds(in, in.original, in.ucfg.finetune_rounds, "finetune");
    return {std::move(r.weights), r.cost, {{"rounds", in.ucfg.finetune_rounds}}};
  }
};

}  // namespace

void register_federated_methods(Registry<UnlearnerFactory>& r) {
  r.add("finetune", "R rounds of the original strategy on the retained clients from the trained model",
        [] { return std::make_unique<Finetune>(); });
}

}  // namespace lethe::unlearn
