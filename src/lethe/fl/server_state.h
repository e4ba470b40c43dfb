#pragma once
// Server-state checkpoints in <run>/checkpoints: everything needed to continue a federated run
// exactly where it stopped.
//   round_0005.safetensors  global weights ("global/<name>"), strategy tensors
//                           ("strategy/<name>"), extra hook state ("extra/<key>/<name>")
//   round_0005.json         round, seed, config, strategy and extra JSON, history index,
//                           counters, the size and SHA-256 of the tensor file
//   latest                  "round_0005": written last, so it always names a complete state
// Sampling and fault injection are pure functions of (seed, round, client) (sampling.h), so
// the seed and the round are the whole RNG/sampler state.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lethe/core/tensor_map.h"
#include "lethe/fl/strategy.h"

namespace lethe::fl {

struct ServerState {
  int64_t round = 0;  // rounds completed (0: the initial model)
  uint64_t seed = 0;
  int64_t num_clients = 0;
  TensorMap global;
  std::string strategy_name;
  StateBlob strategy;
  std::map<std::string, StateBlob> extras;  // hook state, by key (no '/')
  nlohmann::json history = nlohmann::json::object();  // UpdateHistory::index()
  nlohmann::json config = nlohmann::json::object();   // the [fl] section (config_json)
  nlohmann::json counters = nlohmann::json::object();
};

// [fl] keys a resumed run may change: they do not alter the trajectory of the weights, or (the
// screening bounds) alter it only by refusing updates, as an operator may decide mid-run.
bool resumable_key(const std::string& key);

class CheckpointStore {
 public:
  // dir: <run>/checkpoints. keep: newest checkpoints kept after each save (0 = all).
  CheckpointStore(std::string dir, int64_t keep);

  // Crash-safe: each file is written to a temporary name and renamed; `latest` moves last.
  // Then deletes checkpoints beyond `keep`.
  void save(const ServerState& state);
  // The round `latest` names; nullopt when there is none. InputError if it is unreadable.
  std::optional<int64_t> latest() const;
  // InputError naming the file for a missing, truncated or corrupt checkpoint.
  ServerState load(int64_t round) const;
  // Rounds with a checkpoint on disk, ascending.
  std::vector<int64_t> rounds() const;
  // Deletes every checkpoint after `round` and points `latest` at it (a resume from an older
  // state).
  void remove_after(int64_t round) const;

  std::string json_path(int64_t round) const;
  std::string tensors_path(int64_t round) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int64_t keep_;
};

namespace detail {
struct JsonFieldWriter {
  nlohmann::json* out;
  template <class T>
  config::Check<T> operator()(std::string_view key, T& value, std::string_view) {
    (*out)[std::string(key)] = value;
    return config::Check<T>(nullptr, {});
  }
};
}  // namespace detail

// A config struct (visit() pattern) as a flat JSON object, key → value.
template <class S>
nlohmann::json config_json(S& s) {
  nlohmann::json j = nlohmann::json::object();
  detail::JsonFieldWriter w{&j};
  s.visit(w);
  return j;
}

}  // namespace lethe::fl
