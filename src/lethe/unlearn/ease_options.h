#pragma once
// EASE's options: the [unlearn.ease] table (METHODS.md §3, docs/methods/ease.md).
#include <cstdint>
#include <string>

namespace lethe::unlearn {

// GSD, excision, BKE, the Forget Lock and the recovery rounds under it.
struct EaseOptions {
  double tau_deg = 65.0;      // angle threshold τ of the forget-exclusive basis E
  double energy = 0.97;       // energy kept by the forget and retain bases
  int64_t max_rank = 32;      // rank cap of a forget basis
  std::string gsd = "soft";   // which forget directions go: hard (E) | soft (sin²θ) | off (all)
  double soft_power = 1.0;    // soft: direction i weighs (sin²θ_i)^power
  std::string excision = "contribution";  // contribution (stored history) | weights (W − W₀)
  // contribution, client requests: the others' rounds keep their full step (a sample or
  // concept request's holders stay: their share goes as it was added)
  bool renormalise = true;
  // contribution, sample and concept requests: which part of a holder's stored updates is
  // D_f's. share: s = |D_f ∩ D_k|/|D_k| of each update; subspace: that, and the other 1 − s of
  // the updates' forget component G(Δ) (the holder's retained data pulls along the retain
  // basis, so what lies off it is D_f's whole). auto: subspace. Client requests remove the
  // whole client either way.
  std::string attribution = "auto";
  // contribution: the last rounds whose (share of the) removal goes whole, without GSD. -1 =
  // by request and regime (ease.cpp): a sample or concept request's share, every round; a
  // client's, 1 round for full-parameter training, the later two thirds for LoRA adapters
  // (docs/methods/ease.md).
  int64_t exact_rounds = -1;
  // Bilateral knowledge excision: both | image | text | none | auto (both for sample and
  // concept requests, whose holders stay and hold the data; none for a client request).
  std::string bke = "auto";
  int64_t bke_steps = 10;     // BKE step cap
  double bke_lr = 2e-4;
  // BKE's stopping rule ρ: budget | holdout | test | auto (the step budget for a concept
  // request, holdout otherwise). A probe stops a holder once its forget R@1 is down to θ^T's R@1
  // on non-members of the same kind (for a concept: the rule's pairs that mention it).
  std::string bke_stop = "auto";
  double margin = 0.8;        // displacement margin m
  double lambda_d = 0.5;      // displacement weight λ_d
  bool bke_anchor = true;     // alternate BKE's steps with descent on the holder's retained pairs
  int64_t gradient_batches = 8;  // forget/retain gradient matrices (sample, concept requests)
  bool lock = true;           // the Forget Lock on every later round
  double lock_beta = 0.0;     // 0 = hard lock; β > 0 keeps β of the E component
  // The lock handed to later rounds: projection (the server projects, β above) | penalty (the
  // paper's: clients add λ/2·‖EEᵀ(θ − θ_u)‖²). The recovery rounds always project.
  std::string lock_form = "projection";
  double lock_lambda = 100.0;  // penalty strength λ
  int64_t recovery_rounds = 1;   // FedAvg rounds on the retained clients under the lock
  int64_t recovery_steps = 0;    // local step cap per client in those rounds (0 = epochs)
  bool bke_last = true;       // BKE after the recovery rounds instead of before
  bool target_left = false;   // the target has left the federation: no BKE

  template <class V>
  void visit(V& v) {
    v("tau_deg", tau_deg, "angle threshold τ in degrees").in(0.0, 90.0);
    v("energy", energy, "energy kept by the forget and retain bases").in(0.5, 1.0);
    v("max_rank", max_rank, "rank cap of a forget basis").min(1);
    v("gsd", gsd, "hard (θ ≥ τ) | soft (weights sin²θ) | off (excise all of Q_f)")
        .one_of({"hard", "soft", "off"});
    v("soft_power", soft_power, "soft GSD: weight (sin²θ)^power").in(0.0, 10.0);
    v("excision", excision, "contribution (from the history) | weights (W − W₀)")
        .one_of({"contribution", "weights"});
    v("renormalise", renormalise, "contribution, client requests: rescale the others' rounds to a full step");
    v("attribution", attribution,
      "sample/concept requests: a holder's D_f part is share (s = |D_f∩D_k|/|D_k| of each update) | subspace (that, and the rest of the forget component) | auto (subspace)")
        .one_of({"auto", "share", "subspace"});
    v("exact_rounds", exact_rounds,
      "contribution: last rounds removed whole (no GSD); -1 = all for sample/concept requests, else 1, or 2/3 of the rounds with LoRA")
        .min(-1);
    v("bke", bke, "bilateral knowledge excision on both | image | text | none | auto (both for sample/concept requests, none for clients)")
        .one_of({"auto", "both", "image", "text", "none"});
    v("bke_steps", bke_steps, "BKE step cap").min(1);
    v("bke_lr", bke_lr, "BKE learning rate").in(0.0, 1.0);
    v("bke_stop", bke_stop, "BKE's stopping rule: budget | holdout | test | auto (budget for concepts, else holdout)")
        .one_of({"auto", "budget", "holdout", "test"});
    v("margin", margin, "displacement margin m").in(-1.0, 1.0);
    v("lambda_d", lambda_d, "displacement weight λ_d").min(0.0);
    v("bke_anchor", bke_anchor, "BKE: alternate with descent steps on the holder's retained pairs (the neighbours' anchor)");
    v("gradient_batches", gradient_batches, "gradient matrices per basis (sample, concept)").min(1);
    v("lock", lock, "Forget Lock on later rounds");
    v("lock_beta", lock_beta, "lock softness β (0 = hard)").in(0.0, 1.0);
    v("lock_form", lock_form,
      "the lock on later rounds: projection (server-side, β) | penalty (client-side λ/2·‖EEᵀ(θ − θ_u)‖²)")
        .one_of({"projection", "penalty"});
    v("lock_lambda", lock_lambda, "penalty lock strength λ (drift along E shrinks like 1/λ)").in(1e-6, 1e9);
    v("recovery_rounds", recovery_rounds, "recovery rounds under the lock").min(0);
    v("recovery_steps", recovery_steps, "local step cap in recovery rounds (0 = fl.local_epochs)").min(0);
    v("bke_last", bke_last, "run BKE after the recovery rounds");
    v("target_left", target_left, "the target left the federation (no BKE)");
  }
};

}  // namespace lethe::unlearn
