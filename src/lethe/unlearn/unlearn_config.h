#pragma once
// Knobs of the unlearning methods: the [unlearn] section (METHODS.md §2–3). `lethe unlearn`
// reads it from key=value overrides (unlearn.finetune_rounds=3) on top of these defaults.
#include <cstdint>
#include <string>

#include "lethe/core/config.h"

namespace lethe::unlearn {

struct UnlearnConfig {
  // Recovery / fine-tuning rounds of FedAvg on the retained clients.
  int64_t finetune_rounds = 2;
  // Gradient-ascent family (ga, ga+ft, npo, graddiff, klmin): local steps of the holders.
  int64_t ascent_steps = 20;
  double ascent_lr = 2e-4;
  double ascent_clip = 5.0;
  std::string stop = "holdout";  // ρ proxy: holdout | budget | test (METHODS.md §2)
  double stop_margin = 0.0;      // stop when forget R@1 ≤ proxy R@1 + margin
  int64_t stop_every = 5;        // ascent steps between two checks of the stopping rule
  double npo_beta = 0.1;
  double kl_weight = 1.0;
  // FedEraser: calibration epochs = ⌈r·E⌉.
  double federaser_r = 0.5;
  // PGA: radius δ = pga_radius_scale · mean ‖w_ref − w_rand‖ over pga_random_inits inits.
  double pga_radius_scale = 1.0 / 3.0;
  int64_t pga_random_inits = 10;
  int64_t pga_steps = 20;
  double pga_lr = 1e-3;
  // FedRecovery: step c and Gaussian noise σ.
  double fedrecovery_c = 1.0;
  double fedrecovery_sigma = 0.0;
  // Evaluation of the audit.
  int64_t mia_distractors = 100;
  int64_t auc_chunks = 5;
  int64_t post_rounds = 0;  // re-anchoring: federated rounds after unlearning (0 = skip)

  template <class V>
  void visit(V& v) {
    v("finetune_rounds", finetune_rounds, "FedAvg rounds on the retained clients (finetune, ga+ft, recovery)").min(0);
    v("ascent_steps", ascent_steps, "local ascent steps cap (ga, npo, graddiff, klmin)").min(1);
    v("ascent_lr", ascent_lr, "ascent learning rate").in(0.0, 1.0);
    v("ascent_clip", ascent_clip, "gradient-norm clip during ascent").min(0.0);
    v("stop", stop, "stopping proxy ρ: holdout | budget | test").one_of({"holdout", "budget", "test"});
    v("stop_margin", stop_margin, "stop when forget R@1 ≤ proxy R@1 + margin").in(-100.0, 100.0);
    v("stop_every", stop_every, "ascent steps between checks of the stopping rule").min(1);
    v("npo_beta", npo_beta, "NPO β").in(1e-4, 100.0);
    v("kl_weight", kl_weight, "klmin: KL weight on retain batches").min(0.0);
    v("federaser_r", federaser_r, "FedEraser calibration ratio r").in(0.01, 1.0);
    v("pga_radius_scale", pga_radius_scale, "PGA radius as a fraction of mean ‖w_ref − w_rand‖").in(0.0, 10.0);
    v("pga_random_inits", pga_random_inits, "PGA random inits for the radius").min(1);
    v("pga_steps", pga_steps, "PGA projected ascent steps").min(1);
    v("pga_lr", pga_lr, "PGA step size").in(0.0, 1.0);
    v("fedrecovery_c", fedrecovery_c, "FedRecovery step c").in(0.0, 100.0);
    v("fedrecovery_sigma", fedrecovery_sigma, "FedRecovery Gaussian noise σ").min(0.0);
    v("mia_distractors", mia_distractors, "captions the MIA loss feature ranks against").min(1);
    v("auc_chunks", auc_chunks, "retained chunks of the deleted-vs-remaining AUC").min(1);
    v("post_rounds", post_rounds, "re-anchoring rounds after unlearning (0 = skip)").min(0);
  }
};

}  // namespace lethe::unlearn
