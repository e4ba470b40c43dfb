#pragma once
// What a run's update history says about the clients' contributions (METHODS.md §2), shared by
// the history-based baselines (federaser, pga, fedrecovery, history-subtraction): a reader that
// checks the history holds what a method needs and counts every byte it reads, the clients whose
// contribution a request removes, and the sums over stored rounds.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lethe/fl/history.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

// The full records of <run>/history, read on behalf of one method (named in every error).
class HistoryReader {
 public:
  // InputError naming fl.history_every when the run kept no history or no full records.
  HistoryReader(const std::string& run_dir, std::string method);

  // InputError naming fl.history_budget_mb when the budget dropped full records: a sum or a
  // replay over the stored rounds would silently miss them.
  void require_every_round() const;
  // Whether the stored rounds are every round that changed the model (history_every = 1,
  // nothing dropped; skipped rounds leave no record and changed nothing).
  bool complete() const;
  // Stored rounds in which `client` answered, ascending. InputError naming fl.history_every
  // when there are none and the history is not complete (it may have answered elsewhere).
  std::vector<int64_t> rounds_answered(int64_t client) const;

  const std::vector<int64_t>& rounds() const { return rounds_; }  // stored rounds, ascending
  int64_t every() const { return every_; }
  int64_t last_round() const { return history_.last_round(); }
  const fl::RoundRecord& record(int64_t round) const { return history_.round_record(round); }
  bool answered(int64_t round, int64_t client) const;
  // p_k^t = n_k / Σ_j n_j over the clients that answered `round` (0 if k did not).
  double weight(int64_t round, int64_t client) const;

  // Reads, each counted into bytes_read() at its file size.
  TensorMap global_before(int64_t round);
  TensorMap global_increment(int64_t round);
  TensorMap update(int64_t round, int64_t client);
  int64_t bytes_read() const { return bytes_read_; }

  // {"history_every", "rounds_stored", "last_round", "dropped_rounds"} for a method's details.
  nlohmann::json summary() const;

 private:
  struct RoundFiles {
    int64_t global = 0, increment = 0;
    std::map<int64_t, int64_t> clients;  // client → bytes of its update
  };

  fl::UpdateHistory history_;
  std::string method_;
  int64_t every_ = 0;
  std::vector<int64_t> rounds_;
  std::map<int64_t, RoundFiles> files_;
  int64_t bytes_read_ = 0;
};

// A client whose contribution a request removes, and which share of it: 1 for a client request;
// |D_f ∩ D_k| / |D_k| for a holder of a sample or concept request, which keeps training on the
// rest of its data.
struct Target {
  int64_t client = 0;
  double share = 1.0;
  std::vector<int64_t> forget_pairs;  // D_f ∩ D_k, in the order of the client's pairs
};
std::vector<Target> targets_of(const UnlearnInputs& in);

// Σ_t p_k^t·Δ_k^t over the stored rounds client k answered (zeros shaped like `like` if none).
struct Contribution {
  TensorMap sum;
  std::vector<int64_t> rounds;
  std::vector<double> weights;  // p_k^t, in the order of rounds
};
Contribution stored_contribution(HistoryReader& history, int64_t client, const TensorMap& like);

}  // namespace lethe::unlearn
