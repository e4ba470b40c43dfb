#include "lethe/fl/server_state.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/safetensors.h"
#include "lethe/core/strings.h"

namespace lethe::fl {

namespace {
namespace fsys = std::filesystem;
using nlohmann::json;
constexpr int kFormatVersion = 1;
constexpr std::string_view kGlobal = "global/", kStrategy = "strategy/", kExtra = "extra/";

std::string round_name(int64_t round) { return fmt::format("round_{:04}", round); }

// "round_0012.json" → 12; nullopt for anything else.
std::optional<int64_t> parse_round(const std::string& name, std::string_view ext) {
  constexpr std::string_view kPrefix = "round_";
  if (name.size() <= kPrefix.size() + ext.size() || name.rfind(kPrefix, 0) != 0 ||
      name.compare(name.size() - ext.size(), ext.size(), ext) != 0)
    return std::nullopt;
  const auto digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - ext.size());
  if (!std::all_of(digits.begin(), digits.end(), ::isdigit)) return std::nullopt;
  return std::stoll(digits);
}

// Moves tensors whose name starts with `prefix` out of `all`, prefix stripped.
TensorMap take_prefixed(TensorMap& all, const std::string& prefix) {
  TensorMap out;
  for (auto it = all.lower_bound(prefix); it != all.end() && it->first.rfind(prefix, 0) == 0;) {
    out.emplace(it->first.substr(prefix.size()), std::move(it->second));
    it = all.erase(it);
  }
  return out;
}
}  // namespace

bool resumable_key(const std::string& key) {
  // Screening may be tightened on a running federation (e.g. after an attack shows in the
  // refusals), so its keys may change on resume too.
  static const std::set<std::string> keys = {"rounds",           "evaluate_every",
                                             "fraction_evaluate", "checkpoint_every",
                                             "keep_checkpoints", "history_budget_mb",
                                             "screen_max_norm",  "screen_median_k"};
  return keys.count(key) > 0;
}

CheckpointStore::CheckpointStore(std::string dir, int64_t keep) : dir_(std::move(dir)), keep_(keep) {}

std::string CheckpointStore::json_path(int64_t round) const {
  return dir_ + "/" + round_name(round) + ".json";
}
std::string CheckpointStore::tensors_path(int64_t round) const {
  return dir_ + "/" + round_name(round) + ".safetensors";
}

void CheckpointStore::save(const ServerState& s) {
  TensorMap all;
  for (const auto& [name, t] : s.global) all.emplace(std::string(kGlobal) + name, t);
  for (const auto& [name, t] : s.strategy.tensors) all.emplace(std::string(kStrategy) + name, t);
  json extras = json::object();
  for (const auto& [key, blob] : s.extras) {
    LETHE_CHECK(!key.empty() && key.find('/') == std::string::npos,
                "server-state extra key '{}' must be non-empty and contain no '/'", key);
    for (const auto& [name, t] : blob.tensors)
      all.emplace(fmt::format("{}{}/{}", kExtra, key, name), t);
    extras[key] = blob.meta;
  }
  const auto bytes = serialize_safetensors(all, {{"round", std::to_string(s.round)}});
  write_file_atomic(tensors_path(s.round), bytes);
  json j = {{"format", kFormatVersion},
            {"round", s.round},
            {"seed", s.seed},
            {"num_clients", s.num_clients},
            {"tensors", round_name(s.round) + ".safetensors"},
            {"tensors_bytes", bytes.size()},
            {"tensors_sha256", sha256_hex(bytes)},
            {"strategy", {{"name", s.strategy_name}, {"meta", s.strategy.meta}}},
            {"extras", extras},
            {"history", s.history},
            {"config", s.config},
            {"counters", s.counters}};
  write_file_atomic(json_path(s.round), j.dump(1) + "\n");
  write_file_atomic(dir_ + "/latest", round_name(s.round) + "\n");
  if (keep_ <= 0) return;
  auto kept = rounds();
  for (size_t i = 0; i + static_cast<size_t>(keep_) < kept.size(); ++i) {
    fsys::remove(json_path(kept[i]));
    fsys::remove(tensors_path(kept[i]));
  }
}

std::optional<int64_t> CheckpointStore::latest() const {
  const auto path = dir_ + "/latest";
  if (!file_exists(path)) return std::nullopt;
  const auto text = trim(read_file(path));
  auto round = parse_round(text + ".json", ".json");
  LETHE_CHECK(round, "checkpoint pointer '{}' is corrupt: expected 'round_NNNN', got '{}'", path,
              text.substr(0, 40));
  return round;
}

ServerState CheckpointStore::load(int64_t round) const {
  const auto jpath = json_path(round);
  const auto tpath = tensors_path(round);
  json j;
  try {
    j = json::parse(read_file(jpath));
  } catch (const json::exception& e) {
    throw InputError(fmt::format("checkpoint '{}' is not valid JSON (truncated or corrupt): {}",
                                 jpath, e.what()));
  }
  ServerState s;
  std::string sha;
  int64_t bytes = 0;
  try {
    LETHE_CHECK(j.at("format").get<int>() == kFormatVersion,
                "checkpoint '{}' has format {}, this build reads {}", jpath, j.at("format").dump(),
                kFormatVersion);
    s.round = j.at("round").get<int64_t>();
    s.seed = j.at("seed").get<uint64_t>();
    s.num_clients = j.at("num_clients").get<int64_t>();
    s.strategy_name = j.at("strategy").at("name").get<std::string>();
    s.strategy.meta = j.at("strategy").at("meta");
    for (const auto& [key, meta] : j.at("extras").items()) s.extras[key].meta = meta;
    s.history = j.at("history");
    s.config = j.at("config");
    s.counters = j.at("counters");
    sha = j.at("tensors_sha256").get<std::string>();
    bytes = j.at("tensors_bytes").get<int64_t>();
  } catch (const json::exception& e) {
    throw InputError(fmt::format("checkpoint '{}' is malformed: {}", jpath, e.what()));
  }
  LETHE_CHECK(s.round == round, "checkpoint '{}' holds round {}, not {}", jpath, s.round, round);
  LETHE_CHECK(file_exists(tpath), "checkpoint tensors '{}' named by '{}' are missing", tpath, jpath);
  const auto data = read_file(tpath);
  LETHE_CHECK(static_cast<int64_t>(data.size()) == bytes && sha256_hex(data) == sha,
              "checkpoint tensors '{}' are corrupt or truncated ({} bytes, SHA-256 differs from "
              "'{}')",
              tpath, data.size(), jpath);
  auto all = parse_safetensors(data, tpath).tensors;
  s.global = take_prefixed(all, std::string(kGlobal));
  s.strategy.tensors = take_prefixed(all, std::string(kStrategy));
  for (auto& [key, blob] : s.extras)
    blob.tensors = take_prefixed(all, fmt::format("{}{}/", kExtra, key));
  LETHE_CHECK(all.empty(), "checkpoint tensors '{}' hold unexpected tensor '{}'", tpath,
              all.empty() ? "" : all.begin()->first);
  return s;
}

std::vector<int64_t> CheckpointStore::rounds() const {
  std::vector<int64_t> out;
  std::error_code ec;
  if (!fsys::is_directory(dir_, ec)) return out;
  for (const auto& e : fsys::directory_iterator(dir_))
    if (auto r = parse_round(e.path().filename().string(), ".json")) out.push_back(*r);
  std::sort(out.begin(), out.end());
  return out;
}

void CheckpointStore::remove_after(int64_t round) const {
  std::error_code ec;
  if (!fsys::is_directory(dir_, ec)) return;
  for (const auto& e : fsys::directory_iterator(dir_)) {
    const auto name = e.path().filename().string();
    auto r = parse_round(name, ".json");
    if (!r) r = parse_round(name, ".safetensors");
    if (r && *r > round) fsys::remove(e.path());
  }
  if (file_exists(json_path(round))) write_file_atomic(dir_ + "/latest", round_name(round) + "\n");
}

}  // namespace lethe::fl
