#pragma once
// The update-history store in <run>/history: what FedEraser, FedRecovery, history subtraction
// and EASE need from training (METHODS.md §2–3).
//
//  - Full records, every `every` rounds (rounds 1, 1 + every, …): the global model before the
//    round, the global increment θ^{t+1} − θ^t, and each answering client's update Δ_k (after
//    the server's update filters) with its weight n_k.
//      history/round_0001/{global,increment,client_0003}.safetensors
//  - Sketches: per client and module, the streaming low-rank sketch UΣ of its update column
//    space (sketch.h), updated in every round the client answers. Each update writes a new
//    version so that every kept checkpoint still finds the sketches it refers to:
//      history/sketches/client_0003/round_0005.safetensors   (module → UΣ, float32)
//  - history/index.json: which rounds, clients, weights, versions and file sizes exist. The
//    same index is part of every server checkpoint, and is authoritative on resume.
//
// Budget: the live size (full records + current sketches) is kept ≤ budget_bytes by deleting
// the oldest full records (listed in dropped_rounds(), with a warning); if the sketches alone
// exceed it, commit_round throws InputError. A checkpoint older than a drop can no longer be
// resumed from (its index names deleted files: InputError on restore).
//
// Skipped rounds leave no trace (discard_round). Files are checked against the sizes in the
// index when restored or read, so a truncated or replaced file is an InputError naming it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lethe/core/tensor_map.h"
#include "lethe/fl/sketch.h"

namespace lethe::fl {

struct HistoryOptions {
  int64_t every = 1;       // full records every this many rounds (0 = none)
  SketchOptions sketch;    // sketch.max_rank = 0: no sketches
  int64_t budget_bytes = 0;  // 0 = unlimited
  ModuleDeltaFn module_deltas = matrix_deltas;
};

struct FlConfig;
// The [fl] keys history_every, sketch_energy, sketch_max_rank and history_budget_mb.
HistoryOptions history_options(const FlConfig& cfg);

struct HistoryUsage {
  int64_t full_bytes = 0;
  int64_t sketch_bytes = 0;
  int64_t total() const { return full_bytes + sketch_bytes; }
};

struct RoundRecord {
  int64_t round = 0;
  std::vector<int64_t> clients;       // ascending
  std::vector<int64_t> num_examples;  // n_k, in the order of clients
};

class UpdateHistory {
 public:
  // An empty store in `dir` (created on first write).
  UpdateHistory(std::string dir, HistoryOptions opts);
  // The store a finished (or checkpointed) run left in `dir`, from its index.json; for readers.
  static UpdateHistory open(const std::string& dir);

  bool logs_full(int64_t round) const;
  void set_module_deltas(ModuleDeltaFn fn) { opts_.module_deltas = std::move(fn); }

  // --- writing, one round at a time (the engine) ---
  // global_before must stay alive and unchanged until commit_round or discard_round.
  void begin_round(int64_t round, const TensorMap& global_before);
  // NumericalError, with nothing written, when the client's sketch cannot be computed.
  void record(int64_t client, const TensorMap& update, int64_t num_examples);
  // Writes the increment, applies the budget, writes index.json.
  void commit_round(const TensorMap& global_after);
  void discard_round();
  // Deletes superseded sketch versions no checkpoint at round ≥ oldest_kept_round needs.
  void release(int64_t oldest_kept_round);

  // --- checkpoint state ---
  nlohmann::json index() const;
  // Adopts a checkpoint's index (`source` names its file in errors): checks every file it
  // names (exists, size), deletes files of later rounds (an interrupted run), rewrites
  // index.json.
  void restore(const nlohmann::json& index, const std::string& source);

  // --- reading ---
  int64_t last_round() const { return round_; }  // last committed round
  std::vector<int64_t> full_rounds() const;       // ascending
  const RoundRecord& round_record(int64_t round) const;
  TensorMap global_before(int64_t round) const;
  TensorMap global_increment(int64_t round) const;
  TensorMap update(int64_t round, int64_t client) const;
  std::vector<int64_t> sketched_clients() const;  // ascending
  TensorMap sketch(int64_t client) const;         // module → UΣ (d × q); empty if none
  std::map<std::string, int64_t> sketch_ranks(int64_t client) const;
  const std::vector<int64_t>& dropped_rounds() const { return dropped_; }
  HistoryUsage usage() const;
  int64_t bytes_used() const { return usage().total(); }
  const std::string& dir() const { return dir_; }

 private:
  struct FullRecord {
    RoundRecord record;
    std::vector<int64_t> client_bytes;
    int64_t global_bytes = 0, increment_bytes = 0;
    int64_t bytes() const;
  };
  struct SketchVersion {
    int64_t version = 0;  // the round that wrote it
    int64_t bytes = 0;
    std::map<std::string, int64_t> ranks;
  };
  struct Superseded {
    int64_t client = 0, version = 0, at = 0, bytes = 0;
  };

  std::string round_dir(int64_t round) const;
  std::string client_file(int64_t round, int64_t client) const;
  std::string sketch_file(int64_t client, int64_t version) const;
  void write_index() const;
  void load_index(const nlohmann::json& index, const std::string& source);
  void remove_stale_files() const;
  void enforce_budget();
  const FullRecord& full(int64_t round) const;

  std::string dir_;
  HistoryOptions opts_;
  int64_t round_ = 0;
  std::map<int64_t, FullRecord> full_;
  std::vector<int64_t> dropped_;
  std::map<int64_t, SketchVersion> sketches_;
  std::vector<Superseded> superseded_;
  // The round being written.
  int64_t open_round_ = 0;
  const TensorMap* global_before_ = nullptr;
  std::optional<FullRecord> pending_full_;
  std::map<int64_t, SketchVersion> pending_sketches_;
};

}  // namespace lethe::fl
