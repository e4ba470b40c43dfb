#pragma once
// Knobs of the unlearning methods: the [unlearn] section (METHODS.md §2–3). The shared ones
// (recovery rounds, the gradient-ascent family, the audit) sit in [unlearn] itself; each method
// with its own knobs owns a table beside its code ([unlearn.ease], [unlearn.multidelete], …).
// `lethe unlearn` reads the run's config, then key=value overrides (unlearn.ease.tau_deg=70).
// The flat names of earlier versions (unlearn.ease_tau_deg) still read as their table's key.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lethe/core/config.h"
#include "lethe/unlearn/ease_options.h"
#include "lethe/unlearn/history_options.h"
#include "lethe/unlearn/lm_options.h"
#include "lethe/unlearn/multidelete_options.h"

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
  // Each method's own table: [unlearn.ease], [unlearn.multidelete], ...
  EaseOptions ease;
  MultiDeleteOptions multidelete;
  FedEraserOptions federaser;
  PgaOptions pga;
  FedRecoveryOptions fedrecovery;
  LmOptions lm;
  MmUnlearnerOptions mmunlearner;
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

  // Flat key prefix → its table (config::Document::read_section moves ease_tau_deg to
  // ease.tau_deg before reading; both given is an error naming the two).
  static std::vector<std::pair<std::string_view, std::string_view>> moved_prefixes() {
    return {{"ease_", "ease"}, {"multidelete_", "multidelete"}, {"federaser_", "federaser"},
            {"pga_", "pga"},   {"fedrecovery_", "fedrecovery"}, {"lm_", "lm"},
            {"mmunlearner_", "mmunlearner"}};
  }

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
    v.section("ease", ease);
    v.section("multidelete", multidelete);
    v.section("federaser", federaser);
    v.section("pga", pga);
    v.section("fedrecovery", fedrecovery);
    v.section("lm", lm);
    v.section("mmunlearner", mmunlearner);
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
