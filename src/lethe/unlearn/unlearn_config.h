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
  // EASE (METHODS.md §3, docs/methods/ease.md).
  double ease_tau_deg = 65.0;      // angle threshold τ of the forget-exclusive basis E
  double ease_energy = 0.97;       // energy kept by the forget and retain bases
  int64_t ease_max_rank = 32;      // rank cap of a forget basis
  std::string ease_gsd = "soft";   // which forget directions go: hard (E) | soft (sin²θ) | off (all)
  double ease_soft_power = 1.0;    // soft: direction i weighs (sin²θ_i)^power
  std::string ease_excision = "contribution";  // contribution (stored history) | weights (W − W₀)
  bool ease_renormalise = true;    // contribution: the others' rounds keep their full step
  // contribution: the last rounds removed whole, without GSD. -1 = by regime (ease.cpp):
  // 1 for full-parameter training, the later two thirds of the rounds for LoRA adapters
  // (docs/methods/ease.md).
  int64_t ease_exact_rounds = -1;
  std::string ease_bke = "none";   // bilateral knowledge excision: both | image | text | none
  int64_t ease_bke_steps = 10;     // BKE step cap
  double ease_bke_lr = 5e-5;
  double ease_margin = 0.8;        // displacement margin m
  double ease_lambda_d = 0.5;      // displacement weight λ_d
  int64_t ease_gradient_batches = 8;  // forget/retain gradient matrices (sample, concept requests)
  bool ease_lock = true;           // the Forget Lock on every later round
  double ease_lock_beta = 0.0;     // 0 = hard lock; β > 0 keeps β of the E component
  int64_t ease_recovery_rounds = 1;   // FedAvg rounds on the retained clients under the lock
  int64_t ease_recovery_steps = 0;    // local step cap per client in those rounds (0 = epochs)
  bool ease_bke_last = true;       // BKE after the recovery rounds instead of before
  bool ease_target_left = false;   // the target has left the federation: no BKE
  // MultiDelete (METHODS.md §4, docs/methods/multidelete.md).
  int64_t multidelete_epochs = 8;          // passes over each holder's D_f
  double multidelete_lr = 1e-3;
  std::string multidelete_unimodal = "forget";  // L_UKR on the D_f batch | the D_r batch
  std::string multidelete_decoupling = "matrix";  // L_MD on every entry (paper) | the pairs only
  double multidelete_retention_weight = 1.0;  // λ on L_MKR + L_UKR (1 = the paper's unit weights)
  double multidelete_task_weight = 0.03;      // weight of L_CLIP on the retain batch (0 = the paper)
  // The multimodal LM's methods (METHODS.md §5, docs/methods/mmunlearner.md).
  int64_t lm_epochs = 3;         // passes over the retain questions (ga: over the forget questions)
  double lm_lr = 1e-3;           // AdamW, constant, no weight decay
  double lm_clip = 1.0;          // gradient-norm clip of every step
  double lm_npo_beta = 0.4;
  double lm_kl_weight = 1.0;     // klmin: KL(θ₀ ‖ θ) weight on retain batches
  double mmunlearner_gamma = 2.0;  // saliency threshold on (F_f + ε)/(F_r + ε)
  int64_t mmunlearner_fisher_batches = 8;  // batches per Fisher estimate
  bool mmunlearner_protect = true;  // parameters outside the mask never move (false: the released code)
  // Evaluation of the audit.
  int64_t mia_distractors = 100;
  int64_t auc_chunks = 5;
  int64_t audit_folds = 10;  // retain/test R@K: mean over this many disjoint galleries (1 = one)
  int64_t post_rounds = 0;  // re-anchoring: federated rounds after unlearning (0 = skip)
  std::string post_rounds_data = "retained";  // retained | original (D_f's holders keep training on it)
  // Relearning attack (METHODS.md §6): fine-tune on a few D_f units, measure the rebound.
  double relearn_fraction = 0.05;
  int64_t relearn_steps = 10;  // 0 = skip
  double relearn_lr = 0.0;     // 0 = the run's train.lr

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
    v("ease_tau_deg", ease_tau_deg, "EASE: angle threshold τ in degrees").in(0.0, 90.0);
    v("ease_energy", ease_energy, "EASE: energy kept by the forget and retain bases").in(0.5, 1.0);
    v("ease_max_rank", ease_max_rank, "EASE: rank cap of a forget basis").min(1);
    v("ease_gsd", ease_gsd, "EASE: hard (θ ≥ τ) | soft (weights sin²θ) | off (excise all of Q_f)")
        .one_of({"hard", "soft", "off"});
    v("ease_soft_power", ease_soft_power, "EASE soft GSD: weight (sin²θ)^power").in(0.0, 10.0);
    v("ease_excision", ease_excision, "EASE: contribution (from the history) | weights (W − W₀)")
        .one_of({"contribution", "weights"});
    v("ease_renormalise", ease_renormalise, "EASE contribution: rescale the others' rounds to a full step");
    v("ease_exact_rounds", ease_exact_rounds,
      "EASE contribution: last rounds removed whole (no GSD); -1 = 1, or 2/3 of the rounds with LoRA")
        .min(-1);
    v("ease_bke", ease_bke, "EASE: bilateral knowledge excision on both | image | text | none")
        .one_of({"both", "image", "text", "none"});
    v("ease_bke_steps", ease_bke_steps, "EASE: BKE step cap").min(1);
    v("ease_bke_lr", ease_bke_lr, "EASE: BKE learning rate").in(0.0, 1.0);
    v("ease_margin", ease_margin, "EASE: displacement margin m").in(-1.0, 1.0);
    v("ease_lambda_d", ease_lambda_d, "EASE: displacement weight λ_d").min(0.0);
    v("ease_gradient_batches", ease_gradient_batches, "EASE: gradient matrices per basis (sample, concept)").min(1);
    v("ease_lock", ease_lock, "EASE: Forget Lock on later rounds");
    v("ease_lock_beta", ease_lock_beta, "EASE: lock softness β (0 = hard)").in(0.0, 1.0);
    v("ease_recovery_rounds", ease_recovery_rounds, "EASE: recovery rounds under the lock").min(0);
    v("ease_recovery_steps", ease_recovery_steps, "EASE: local step cap in recovery rounds (0 = fl.local_epochs)").min(0);
    v("ease_bke_last", ease_bke_last, "EASE: run BKE after the recovery rounds");
    v("ease_target_left", ease_target_left, "EASE: the target left the federation (no BKE)");
    v("multidelete_epochs", multidelete_epochs, "MultiDelete: passes over D_f (the best on validation is kept)").min(1);
    v("multidelete_lr", multidelete_lr, "MultiDelete: learning rate").in(0.0, 1.0);
    v("multidelete_unimodal", multidelete_unimodal, "MultiDelete: unimodal retention on forget | retain")
        .one_of({"forget", "retain"});
    v("multidelete_decoupling", multidelete_decoupling,
      "MultiDelete: L_MD on the whole similarity matrix (matrix) or only the deleted pairs (pairs)")
        .one_of({"matrix", "pairs"});
    v("lm_epochs", lm_epochs, "multimodal LM: passes over the retain questions (ga: forget questions)").min(1);
    v("lm_lr", lm_lr, "multimodal LM: unlearning learning rate").in(0.0, 1.0);
    v("lm_clip", lm_clip, "multimodal LM: gradient-norm clip per step").min(0.0);
    v("lm_npo_beta", lm_npo_beta, "multimodal LM: NPO β").in(1e-4, 100.0);
    v("lm_kl_weight", lm_kl_weight, "multimodal LM klmin: KL weight on retain batches").min(0.0);
    v("mmunlearner_gamma", mmunlearner_gamma, "MMUnlearner: saliency-ratio threshold γ").min(0.0);
    v("mmunlearner_fisher_batches", mmunlearner_fisher_batches, "MMUnlearner: batches per Fisher estimate").min(1);
    v("mmunlearner_protect", mmunlearner_protect,
      "MMUnlearner: parameters outside the mask never move (false = the released code's behaviour)");
    v("multidelete_task_weight", multidelete_task_weight,
      "MultiDelete: weight of the contrastive task loss on the retain batch (0 = the paper's terms only)")
        .min(0.0);
    v("multidelete_retention_weight", multidelete_retention_weight,
      "MultiDelete: weight of the retention terms L_MKR + L_UKR (1 = the paper)").in(0.0, 1000.0);
    v("mia_distractors", mia_distractors, "captions the MIA loss feature ranks against").min(1);
    v("auc_chunks", auc_chunks, "retained chunks of the deleted-vs-remaining AUC").min(1);
    v("audit_folds", audit_folds,
      "retain/test R@K: mean over up to this many disjoint galleries of the forget gallery's size")
        .in(1, 100);
    v("post_rounds", post_rounds, "re-anchoring rounds after unlearning (0 = skip)").min(0);
    v("post_rounds_data", post_rounds_data,
      "re-anchoring data: retained (the federation after the request) | original (D_f's holders keep training on it)")
        .one_of({"retained", "original"});
    v("relearn_fraction", relearn_fraction, "relearning attack: share of D_f's units it trains on").in(0.0, 0.5);
    v("relearn_steps", relearn_steps, "relearning attack: fine-tuning steps (0 = skip)").min(0);
    v("relearn_lr", relearn_lr, "relearning attack: learning rate (0 = train.lr)").in(0.0, 1.0);
  }
};

}  // namespace lethe::unlearn
