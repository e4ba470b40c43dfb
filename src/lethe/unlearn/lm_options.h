#pragma once
// The multimodal LM's methods (METHODS.md §5, docs/methods/mmunlearner.md): [unlearn.lm], shared by
// ga, npo, klmin and mmunlearner on an LM run, and [unlearn.mmunlearner].
#include <cstdint>

namespace lethe::unlearn {

// On a multimodal-LM run: every method's passes, step size and clip; npo's β and klmin's weight.
struct LmOptions {
  int64_t epochs = 3;         // passes over the retain questions (ga: over the forget questions)
  double lr = 1e-3;           // AdamW, constant, no weight decay
  double clip = 1.0;          // gradient-norm clip of every step
  double npo_beta = 0.4;
  double kl_weight = 1.0;     // klmin: KL(θ₀ ‖ θ) weight on retain batches

  template <class V>
  void visit(V& v) {
    v("epochs", epochs, "passes over the retain questions (ga: forget questions)").min(1);
    v("lr", lr, "unlearning learning rate").in(0.0, 1.0);
    v("clip", clip, "gradient-norm clip per step").min(0.0);
    v("npo_beta", npo_beta, "NPO β").in(1e-4, 100.0);
    v("kl_weight", kl_weight, "klmin: KL weight on retain batches").min(0.0);
  }
};

// MMUnlearner (docs/methods/mmunlearner.md).
struct MmUnlearnerOptions {
  double gamma = 2.0;  // saliency threshold on (F_f + ε)/(F_r + ε)
  int64_t fisher_batches = 8;  // batches per Fisher estimate
  bool protect = true;  // parameters outside the mask never move (false: the released code)

  template <class V>
  void visit(V& v) {
    v("gamma", gamma, "saliency-ratio threshold γ").min(0.0);
    v("fisher_batches", fisher_batches, "batches per Fisher estimate").min(1);
    v("protect", protect,
      "parameters outside the mask never move (false = the released code's behaviour)");
  }
};

}  // namespace lethe::unlearn
