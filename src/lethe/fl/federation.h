#pragma once
// The round engine. Round t (1-based): the strategy picks clients from the population (minus
// excluded clients); the transport trains them from θ^{t−1}; every answer is screened
// (screening.h: non-finite values and norm bounds refuse it), passes the server's update
// filters, goes into the history and into the strategy's aggregator (streaming: one update in
// memory at a time for averaging rules, unless fl.screen_median_k holds the round's answers
// until its median is known); with at least min_fit_clients counted answers the strategy makes
// θ^t, else the round is skipped (logged; model, strategy state and history unchanged).
//
// Nothing computed from client data ends the run: an update whose history record fails
// numerically (its sketch) is refused like a screened one; an aggregate that fails or is not
// finite skips the round (the strategy's state rolled back). Server state is checkpointed every
// checkpoint_every rounds and after the last.
//
// Determinism: given config, seed, population, exclusions, filters and thread count, the final
// weights are bit-identical — whether or not the run was interrupted and resumed.
//
// Run folder: <run>/checkpoints/ (server_state.h), <run>/history/ (history.h); metrics.jsonl
// events "fl_round" and "fl_eval" go to the MetricsWriter the caller opened (append it on
// resume). A Federation whose round threw is unusable: build a new one and resume().
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lethe/core/metrics.h"
#include "lethe/fl/fl_config.h"
#include "lethe/fl/forget_lock.h"
#include "lethe/fl/history.h"
#include "lethe/fl/screening.h"
#include "lethe/fl/server_state.h"
#include "lethe/fl/strategy.h"
#include "lethe/fl/transport.h"

namespace lethe::fl {

struct RoundSummary {
  int64_t round = 0;
  // answered: counted in the aggregate; refused: results refused by the transport (malformed or
  // non-finite uploads, a diverged training) or by the screening (a client may be refused more
  // than once: a deployed client may retry).
  int64_t sampled = 0, answered = 0, failed = 0, late = 0, refused = 0;
  bool skipped = false;
  double loss = 0.0;           // example-weighted mean local loss of the answers
  int64_t num_examples = 0;    // Σ n_k over the answers
  int64_t steps = 0;           // Σ local steps over the answers
  int64_t bytes_down = 0, bytes_up = 0;
  double round_s = 0.0;        // wall time
  double train_s = 0.0;        // of which clients' local optimisation (the rest is overhead)
  double response_s = 0.0;     // slowest (simulated) answer
  // ‖Δ_k‖ of the counted updates as they arrived (before the update filters); 0 when none.
  // What fl.screen_max_norm and fl.screen_median_k are set against.
  double update_norm_median = 0.0, update_norm_max = 0.0;
};

// Cumulative cost of the run (kept across resume): what unlearning reports compare.
struct FederationTotals {
  int64_t rounds = 0, skipped_rounds = 0;
  int64_t client_fits = 0, steps = 0;
  int64_t refused = 0;      // Σ RoundSummary::refused
  int64_t bytes_down = 0, bytes_up = 0;
  double wall_s = 0.0;      // Σ round_s
  double train_s = 0.0;     // Σ clients' local optimisation seconds within wall_s
  double checkpoint_s = 0.0;  // writing server-state checkpoints (outside wall_s)
  nlohmann::json to_json() const;
  static FederationTotals from_json(const nlohmann::json& j);
};

// θ: the global model (server side) → metric name → value.
using ServerEvaluation = std::function<std::map<std::string, double>(int64_t round,
                                                                     const TensorMap& global)>;

class Federation {
 public:
  // Clients are 0 … num_clients−1. run_dir receives checkpoints/ and history/. `metrics` may be
  // null.
  Federation(const FlConfig& cfg, Strategy& strategy, Transport& transport, int64_t num_clients,
             std::string run_dir, uint64_t seed, MetricsWriter* metrics = nullptr);

  // --- hooks: install before start()/resume(), identically in a resumed run ---
  // Server side, applied in order to every incoming update before history and aggregation;
  // clients receive the same filters for their gradients (LocalRules::gradient_filters).
  void add_update_filter(UpdateFilter filter);
  // Sampled as usual, then dropped before training: every other client trains exactly in the
  // rounds it would have (sampling.h) — a retrain reference replays the original run on D_r.
  void set_excluded_clients(std::vector<int64_t> clients);
  void set_server_evaluation(ServerEvaluation fn);
  // Which tensors the history sketches (default: every 2-D update; lora_deltas() for LoRA).
  void set_module_deltas(ModuleDeltaFn fn);
  // The Forget Lock on every later round, after the update filters: a projection lock on client
  // gradients and incoming updates; a penalty lock as its term in every client's local steps
  // (or, when the transport's clients cannot carry it, as the projection on incoming updates).
  // Saved with every checkpoint and restored by resume(), so it needs no reinstalling.
  // Replaces an earlier lock (an empty lock lifts it).
  void set_forget_lock(const ForgetLock& lock);
  const ForgetLock* forget_lock() const { return lock_ ? &*lock_ : nullptr; }
  // Honours an unlearning request in a running federation, between rounds (e.g. from run()'s
  // on_round): θ becomes `weights` (θ's layout), a non-empty `lock` replaces the Forget Lock, and
  // `clients` leave the federation (sampled as usual, then dropped, like excluded clients). Saved
  // at once as the current round's checkpoint, so all of it survives --resume.
  // InputError, and nothing changed, when `weights` has a non-finite entry.
  void apply_unlearning(TensorMap weights, const ForgetLock& lock, const std::vector<int64_t>& clients);
  // Clients apply_unlearning() removed, ascending.
  std::vector<int64_t> removed_clients() const;
  // State that whoever installs a hook needs back on resume; saved with every checkpoint.
  void set_extra_state(const std::string& key, StateBlob blob);
  const StateBlob* extra_state(const std::string& key) const;

  // --- lifecycle ---
  // A fresh run from θ^0 (the trainable parameters); writes checkpoint round 0. InputError if
  // run_dir already holds a federated run.
  void start(TensorMap initial_global);
  // Continues from the newest checkpoint, or from `round` (later checkpoints are deleted). A
  // corrupt or truncated file is an InputError naming it; so is a config, seed, client count
  // or strategy that differs from the checkpoint's in anything but rounds, evaluation,
  // checkpoint and budget settings.
  void resume(std::optional<int64_t> round = std::nullopt);
  // Runs rounds round()+1 … last_round (default cfg.rounds), with a Progress line.
  void run(std::optional<int64_t> last_round = std::nullopt,
           const std::function<void(const RoundSummary&)>& on_round = {});
  RoundSummary run_round();
  // Server and federated evaluation of the current model (written as an "fl_eval" event).
  std::map<std::string, double> evaluate();

  int64_t round() const { return round_; }
  const TensorMap& global() const { return global_; }
  const UpdateHistory& history() const { return history_; }
  const FederationTotals& totals() const { return totals_; }
  const std::string& run_dir() const { return run_dir_; }

 private:
  std::vector<int64_t> population() const;
  // On every incoming update: the update filters, then the lock's projection where it applies.
  std::vector<UpdateFilter> server_filters() const;
  // What every client's local steps carry: the server's filters on their gradients, and a
  // penalty lock's term.
  LocalRules local_rules() const;
  // Whether the lock in force acts as a projection (a projection lock, or a penalty lock the
  // transport's clients cannot carry).
  bool lock_projects() const;
  void log_lock() const;
  // θ^t from the round's aggregate, or nullopt (logged) when aggregation failed or its result
  // is not finite; the strategy's state is then as before the call.
  std::optional<TensorMap> aggregate(int64_t round, const UpdateAggregator& aggregator);
  void save_checkpoint();
  ServerState current_state() const;
  void check_compatible(const ServerState& s, const std::string& source) const;

  FlConfig cfg_;
  ScreenOptions screen_;
  Strategy& strategy_;
  Transport& transport_;
  int64_t num_clients_;
  std::string run_dir_;
  uint64_t seed_;
  MetricsWriter* metrics_;
  std::vector<UpdateFilter> filters_;
  std::vector<int64_t> excluded_;
  ServerEvaluation server_eval_;
  std::map<std::string, StateBlob> extras_;
  std::optional<ForgetLock> lock_;
  CheckpointStore checkpoints_;
  UpdateHistory history_;
  TensorMap global_;
  int64_t round_ = 0;
  bool started_ = false;
  FederationTotals totals_;
};

}  // namespace lethe::fl
