#pragma once
// Federated training configuration: the [fl] section (METHODS.md §1, DATA.md §5).
#include <cstdint>
#include <string>

#include "lethe/core/config.h"

namespace lethe::fl {

struct FlConfig {
  // Server: strategy (strategies/registry.h) and schedule.
  std::string strategy = "fedavg";
  int64_t rounds = 10;
  // Federation: virtual clients and how the training pairs are split among them.
  int64_t clients = 10;
  std::string partition = "iid";           // iid | dirichlet | by_source
  std::string partition_label = "subgroup";  // dirichlet: the label column
  double alpha = 0.3;                        // dirichlet concentration
  int64_t min_units_per_client = 1;
  double val_fraction = 0.1;                 // units per client held out for local validation
  // Sampling: clients_per_round > 0 wins over fraction_fit.
  double fraction_fit = 1.0;
  int64_t clients_per_round = 0;
  int64_t min_fit_clients = 1;               // fewer answers and the round is skipped
  int64_t local_epochs = 1;
  int64_t local_steps = 0;  // > 0: each client stops after this many steps (E epochs or K steps)
  // Clients' optimiser between their rounds: reset (a fresh AdamW every round, as FedAvg is
  // usually run) or keep (each client resumes its own AdamW moments: 2× the trainable weights
  // per client, saved with the server checkpoint in simulation so that resume stays exact).
  std::string client_optimizer = "reset";
  // Clients' learning rate over rounds: constant, or cosine from train.lr at round 1 down to
  // train.lr × lr_min_ratio at the last round (the federated form of central cosine decay).
  std::string lr_schedule = "constant";
  double lr_min_ratio = 0.0;
  // Federated evaluation on sampled clients' validation splits (0 = off).
  int64_t evaluate_every = 0;
  double fraction_evaluate = 0.1;
  // Simulated faults (seeded per (seed, round, client)). A client's simulated response time is
  // its local steps × sim_step_s, × straggler_slowdown for stragglers; past deadline_s it is
  // dropped (0 = no deadline).
  double deadline_s = 0.0;
  double sim_step_s = 0.05;
  double straggler_slowdown = 10.0;
  double failure_rate = 0.0;
  double straggler_rate = 0.0;
  // Strategy knobs.
  double proximal_mu = 0.01;       // fedprox
  double server_lr = 1.0;          // η of fedavg / fedprox / fedavgm / trimmed_mean / median
  double server_momentum = 0.9;    // fedavgm
  bool server_nesterov = false;    // fedavgm: Nesterov form of the server momentum (DiLoCo)
  double adaptive_lr = 0.01;       // η of fedadam / fedyogi / fedadagrad
  double beta1 = 0.9;
  double beta2 = 0.99;
  double tau = 1e-3;
  double trim_fraction = 0.2;      // trimmed_mean: fraction cut at each end per coordinate
  // Update history (history.h): full client updates every history_every rounds and streaming
  // low-rank sketches of every 2-D update.
  int64_t history_every = 1;       // 0 = no full updates
  double sketch_energy = 0.97;
  int64_t sketch_max_rank = 32;    // 0 = no sketches
  double history_budget_mb = 0.0;  // 0 = unlimited; over it the oldest full rounds are dropped
  // Screening of client updates before they count (screening.h, docs/reliability.md). An update
  // with a NaN or ±Inf entry is always refused; these bound its L2 norm ‖Δ_k‖. The absolute
  // bound is on by default: far above any honest update of Lethe's configs (docs/reliability.md
  // has the measured norms), far below where float32 aggregation overflows.
  double screen_max_norm = 1e6;    // 0 = off
  double screen_median_k = 0.0;    // > 0: refuse ‖Δ_k‖ > k × the round's median norm (0 = off)
  // Server-state checkpoints.
  int64_t checkpoint_every = 1;
  int64_t keep_checkpoints = 2;    // 0 = keep all

  template <class V>
  void visit(V& v) {
    v("strategy", strategy, "server strategy (lethe methods lists them)");
    v("rounds", rounds, "federated rounds").in(1, 1000000);
    v("lr_schedule", lr_schedule, "clients' learning rate over rounds: constant | cosine")
        .one_of({"constant", "cosine"});
    v("lr_min_ratio", lr_min_ratio, "cosine: final learning rate as a fraction of train.lr").in(0.0, 1.0);
    v("clients", clients, "virtual clients").in(1, 1000000);
    v("partition", partition, "iid | dirichlet | by_source").one_of({"iid", "dirichlet", "by_source"});
    v("partition_label", partition_label, "dirichlet: label column (e.g. group, subgroup)");
    v("alpha", alpha, "dirichlet concentration α (small = skewed)").in(1e-3, 1e6);
    v("min_units_per_client", min_units_per_client, "fewest units any client gets").min(0);
    v("val_fraction", val_fraction, "fraction of each client's units held out, never trained on")
        .in(0.0, 0.9);
    v("fraction_fit", fraction_fit, "fraction of clients sampled per round").in(0.0, 1.0);
    v("clients_per_round", clients_per_round, "clients sampled per round (0 = use fraction_fit)")
        .min(0);
    v("min_fit_clients", min_fit_clients, "answers needed, else the round is skipped").min(1);
    v("local_epochs", local_epochs, "local epochs per round").in(1, 10000);
    v("local_steps", local_steps, "cap on local optimiser steps per round (0 = epochs only)").min(0);
    v("client_optimizer", client_optimizer,
      "clients' AdamW state between their rounds: reset | keep (2x the weights per client)")
        .one_of({"reset", "keep"});
    v("evaluate_every", evaluate_every, "rounds between federated evaluations (0 = off)").min(0);
    v("fraction_evaluate", fraction_evaluate, "fraction of clients evaluated").in(0.0, 1.0);
    v("deadline_s", deadline_s, "simulated round deadline in seconds (0 = none)").min(0.0);
    v("sim_step_s", sim_step_s, "simulated seconds per local step").in(0.0, 3600.0);
    v("straggler_slowdown", straggler_slowdown, "simulated slowdown of a straggler").in(1.0, 1e6);
    v("failure_rate", failure_rate, "probability a sampled client fails").in(0.0, 0.99);
    v("straggler_rate", straggler_rate, "probability a sampled client straggles").in(0.0, 1.0);
    v("proximal_mu", proximal_mu, "fedprox: proximal weight μ").in(0.0, 1e3);
    v("server_lr", server_lr, "server step η (fedavg, fedprox, fedavgm, robust)").in(1e-6, 100.0);
    v("server_momentum", server_momentum, "fedavgm: server momentum β").in(0.0, 0.9999);
    v("server_nesterov", server_nesterov, "fedavgm: Nesterov momentum θ += η(Δ + βv) (DiLoCo)");
    v("adaptive_lr", adaptive_lr, "fedadam/fedyogi/fedadagrad: server step η").in(1e-8, 10.0);
    v("beta1", beta1, "fedadam/fedyogi/fedadagrad: first-moment decay β1").in(0.0, 0.9999);
    v("beta2", beta2, "fedadam/fedyogi: second-moment decay β2").in(0.0, 0.99999);
    v("tau", tau, "fedadam/fedyogi/fedadagrad: adaptivity τ").in(1e-12, 1.0);
    v("trim_fraction", trim_fraction, "trimmed_mean: fraction cut at each end").in(0.0, 0.49);
    v("history_every", history_every, "rounds between full update records (0 = none)").min(0);
    v("sketch_energy", sketch_energy, "sketch: energy kept by the truncation ε").in(0.5, 1.0);
    v("sketch_max_rank", sketch_max_rank, "sketch: rank cap q_max (0 = no sketches)").in(0, 4096);
    v("history_budget_mb", history_budget_mb, "history storage budget in MB (0 = unlimited)")
        .min(0.0);
    v("screen_max_norm", screen_max_norm,
      "refuse client updates whose L2 norm exceeds this (0 = off)").min(0.0);
    v("screen_median_k", screen_median_k,
      "refuse updates whose norm exceeds k x the round's median norm (0 = off; >= 1; holds the "
      "round's updates in memory)").in(0.0, 1e6);
    v("checkpoint_every", checkpoint_every, "rounds between server-state checkpoints").min(1);
    v("keep_checkpoints", keep_checkpoints, "checkpoints kept (0 = all)").min(0);
  }

  // Cross-field checks (each error names the fields and values).
  void validate() const;
};

}  // namespace lethe::fl
