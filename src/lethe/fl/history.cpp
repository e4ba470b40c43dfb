#include "lethe/fl/history.h"

#include <algorithm>
#include <filesystem>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/safetensors.h"
#include "lethe/fl/fl_config.h"

namespace lethe::fl {

namespace {
namespace fsys = std::filesystem;
using nlohmann::json;
constexpr int kIndexVersion = 1;

int64_t write_tensors(const std::string& path, const TensorMap& tensors) {
  write_safetensors(path, tensors);
  return static_cast<int64_t>(fsys::file_size(path));
}

void check_file(const std::string& path, int64_t bytes, const std::string& source) {
  std::error_code ec;
  const auto size = fsys::file_size(path, ec);
  LETHE_CHECK(!ec, "history file '{}' named by '{}' is missing", path, source);
  LETHE_CHECK(static_cast<int64_t>(size) == bytes,
              "history file '{}' is {} bytes but '{}' records {} (truncated or replaced)", path,
              size, source, bytes);
}

TensorMap read_checked(const std::string& path, int64_t bytes, const std::string& source) {
  check_file(path, bytes, source);
  return read_safetensors(path).tensors;
}

// "round_0012" → 12; -1 for anything else.
int64_t round_number(const std::string& name) {
  constexpr std::string_view kPrefix = "round_";
  if (name.rfind(kPrefix, 0) != 0) return -1;
  auto digits = name.substr(kPrefix.size());
  if (auto dot = digits.find('.'); dot != std::string::npos) digits = digits.substr(0, dot);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
  return std::stoll(digits);
}
}  // namespace

HistoryOptions history_options(const FlConfig& cfg) {
  HistoryOptions o;
  o.every = cfg.history_every;
  o.sketch = {cfg.sketch_energy, cfg.sketch_max_rank};
  o.budget_bytes = static_cast<int64_t>(cfg.history_budget_mb * 1e6);
  return o;
}

int64_t UpdateHistory::FullRecord::bytes() const {
  int64_t n = global_bytes + increment_bytes;
  for (auto b : client_bytes) n += b;
  return n;
}

UpdateHistory::UpdateHistory(std::string dir, HistoryOptions opts)
    : dir_(std::move(dir)), opts_(std::move(opts)) {}

UpdateHistory UpdateHistory::open(const std::string& dir) {
  const auto path = dir + "/index.json";
  json index;
  try {
    index = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw InputError(fmt::format("history index '{}' is not valid JSON: {}", path, e.what()));
  }
  UpdateHistory h(dir, {});
  h.load_index(index, path);
  return h;
}

bool UpdateHistory::logs_full(int64_t round) const {
  return opts_.every > 0 && (round - 1) % opts_.every == 0;
}

std::string UpdateHistory::round_dir(int64_t round) const {
  return fmt::format("{}/round_{:04}", dir_, round);
}
std::string UpdateHistory::client_file(int64_t round, int64_t client) const {
  return fmt::format("{}/client_{:04}.safetensors", round_dir(round), client);
}
std::string UpdateHistory::sketch_file(int64_t client, int64_t version) const {
  return fmt::format("{}/sketches/client_{:04}/round_{:04}.safetensors", dir_, client, version);
}

void UpdateHistory::begin_round(int64_t round, const TensorMap& global_before) {
  LETHE_ASSERT(open_round_ == 0 && round > round_);
  open_round_ = round;
  global_before_ = &global_before;
  pending_sketches_.clear();
  pending_full_.reset();
  if (logs_full(round)) {
    pending_full_.emplace();
    pending_full_->record.round = round;
    pending_full_->global_bytes =
        write_tensors(round_dir(round) + "/global.safetensors", global_before);
  }
}

void UpdateHistory::record(int64_t client, const TensorMap& update, int64_t num_examples) {
  LETHE_ASSERT(open_round_ > 0 && !pending_sketches_.count(client));
  // The sketch is computed before anything is written: when it fails (NumericalError) this
  // update leaves no trace, and the engine refuses it.
  TensorMap next;
  SketchVersion v;
  v.version = open_round_;
  if (opts_.sketch.max_rank > 0) {
    TensorMap old;
    if (auto it = sketches_.find(client); it != sketches_.end())
      old = read_checked(sketch_file(client, it->second.version), it->second.bytes,
                         dir_ + "/index.json");
    for (const auto& [module, delta] : opts_.module_deltas(*global_before_, update)) {
      auto prev = old.find(module);
      torch::Tensor s;
      try {
        s = update_sketch(prev == old.end() ? torch::Tensor() : prev->second, delta, opts_.sketch);
      } catch (const NumericalError& e) {
        throw NumericalError(fmt::format("its sketch of '{}' cannot be kept: {}", module, e.what()));
      }
      if (!s.defined()) continue;
      v.ranks[module] = s.size(1);
      next.emplace(module, std::move(s));
    }
  }
  if (pending_full_) {
    auto& rec = pending_full_->record;
    LETHE_ASSERT(rec.clients.empty() || rec.clients.back() < client);
    rec.clients.push_back(client);
    rec.num_examples.push_back(num_examples);
    pending_full_->client_bytes.push_back(write_tensors(client_file(open_round_, client), update));
  }
  if (next.empty()) return;
  v.bytes = write_tensors(sketch_file(client, open_round_), next);
  pending_sketches_[client] = std::move(v);
}

void UpdateHistory::commit_round(const TensorMap& global_after) {
  LETHE_ASSERT(open_round_ > 0);
  if (pending_full_) {
    pending_full_->increment_bytes =
        write_tensors(round_dir(open_round_) + "/increment.safetensors",
                      sub(global_after, *global_before_));
    full_[open_round_] = std::move(*pending_full_);
  }
  for (auto& [client, v] : pending_sketches_) {
    if (auto it = sketches_.find(client); it != sketches_.end())
      superseded_.push_back({client, it->second.version, open_round_, it->second.bytes});
    sketches_[client] = std::move(v);
  }
  round_ = open_round_;
  open_round_ = 0;
  global_before_ = nullptr;
  pending_full_.reset();
  pending_sketches_.clear();
  enforce_budget();
  write_index();
}

void UpdateHistory::discard_round() {
  LETHE_ASSERT(open_round_ > 0);
  if (pending_full_) fsys::remove_all(round_dir(open_round_));
  for (const auto& [client, v] : pending_sketches_) fsys::remove(sketch_file(client, v.version));
  open_round_ = 0;
  global_before_ = nullptr;
  pending_full_.reset();
  pending_sketches_.clear();
}

void UpdateHistory::release(int64_t oldest_kept_round) {
  // A superseded version is current for rounds [version, at); no checkpoint at a round
  // ≥ oldest_kept_round ≥ at can refer to it.
  std::erase_if(superseded_, [&](const Superseded& s) {
    if (s.at > oldest_kept_round) return false;
    fsys::remove(sketch_file(s.client, s.version));
    return true;
  });
}

void UpdateHistory::enforce_budget() {
  if (opts_.budget_bytes <= 0) return;
  while (usage().total() > opts_.budget_bytes && !full_.empty()) {
    const auto [round, rec] = *full_.begin();
    fsys::remove_all(round_dir(round));
    full_.erase(full_.begin());
    dropped_.push_back(round);
    log::warn("history over its budget of {} bytes: dropped the full updates of round {}",
              opts_.budget_bytes, round);
  }
  const auto used = usage().total();
  LETHE_CHECK(used <= opts_.budget_bytes,
              "the update sketches alone take {:.1f} MB, over fl.history_budget_mb = {:.1f}; "
              "raise it or lower fl.sketch_max_rank",
              double(used) / 1e6, double(opts_.budget_bytes) / 1e6);
}

HistoryUsage UpdateHistory::usage() const {
  HistoryUsage u;
  for (const auto& [round, rec] : full_) u.full_bytes += rec.bytes();
  for (const auto& [client, v] : sketches_) u.sketch_bytes += v.bytes;
  return u;
}

json UpdateHistory::index() const {
  json full = json::array();
  for (const auto& [round, f] : full_)
    full.push_back({{"round", round},
                    {"clients", f.record.clients},
                    {"num_examples", f.record.num_examples},
                    {"client_bytes", f.client_bytes},
                    {"global_bytes", f.global_bytes},
                    {"increment_bytes", f.increment_bytes}});
  json sketches = json::array();
  for (const auto& [client, v] : sketches_)
    sketches.push_back({{"client", client}, {"version", v.version}, {"bytes", v.bytes},
                        {"ranks", v.ranks}});
  json superseded = json::array();
  for (const auto& s : superseded_)
    superseded.push_back({{"client", s.client}, {"version", s.version}, {"at", s.at},
                          {"bytes", s.bytes}});
  return {{"version", kIndexVersion},
          {"round", round_},
          {"every", opts_.every},
          {"sketch_energy", opts_.sketch.energy},
          {"sketch_max_rank", opts_.sketch.max_rank},
          {"full", full},
          {"dropped", dropped_},
          {"sketches", sketches},
          {"superseded", superseded}};
}

void UpdateHistory::write_index() const {
  write_file_atomic(dir_ + "/index.json", index().dump(1) + "\n");
}

void UpdateHistory::load_index(const json& index, const std::string& source) {
  try {
    LETHE_CHECK(index.at("version").get<int>() == kIndexVersion,
                "history index in '{}' has version {}, this build reads {}", source,
                index.at("version").dump(), kIndexVersion);
    round_ = index.at("round").get<int64_t>();
    opts_.every = index.at("every").get<int64_t>();
    opts_.sketch.energy = index.at("sketch_energy").get<double>();
    opts_.sketch.max_rank = index.at("sketch_max_rank").get<int64_t>();
    full_.clear();
    for (const auto& f : index.at("full")) {
      FullRecord rec;
      rec.record.round = f.at("round").get<int64_t>();
      rec.record.clients = f.at("clients").get<std::vector<int64_t>>();
      rec.record.num_examples = f.at("num_examples").get<std::vector<int64_t>>();
      rec.client_bytes = f.at("client_bytes").get<std::vector<int64_t>>();
      rec.global_bytes = f.at("global_bytes").get<int64_t>();
      rec.increment_bytes = f.at("increment_bytes").get<int64_t>();
      LETHE_CHECK(rec.record.clients.size() == rec.record.num_examples.size() &&
                      rec.record.clients.size() == rec.client_bytes.size(),
                  "history index in '{}': round {} lists {} clients but {} weights and {} sizes",
                  source, rec.record.round, rec.record.clients.size(),
                  rec.record.num_examples.size(), rec.client_bytes.size());
      full_[rec.record.round] = std::move(rec);
    }
    dropped_ = index.at("dropped").get<std::vector<int64_t>>();
    sketches_.clear();
    for (const auto& s : index.at("sketches")) {
      SketchVersion v{s.at("version").get<int64_t>(), s.at("bytes").get<int64_t>(),
                      s.at("ranks").get<std::map<std::string, int64_t>>()};
      sketches_[s.at("client").get<int64_t>()] = std::move(v);
    }
    superseded_.clear();
    for (const auto& s : index.at("superseded"))
      superseded_.push_back({s.at("client").get<int64_t>(), s.at("version").get<int64_t>(),
                             s.at("at").get<int64_t>(), s.at("bytes").get<int64_t>()});
  } catch (const json::exception& e) {
    throw InputError(fmt::format("history index in '{}' is malformed: {}", source, e.what()));
  }
  for (const auto& [round, f] : full_) {
    check_file(round_dir(round) + "/global.safetensors", f.global_bytes, source);
    check_file(round_dir(round) + "/increment.safetensors", f.increment_bytes, source);
    for (size_t i = 0; i < f.record.clients.size(); ++i)
      check_file(client_file(round, f.record.clients[i]), f.client_bytes[i], source);
  }
  for (const auto& [client, v] : sketches_) check_file(sketch_file(client, v.version), v.bytes, source);
}

void UpdateHistory::remove_stale_files() const {
  std::error_code ec;
  if (!fsys::is_directory(dir_, ec)) return;
  for (const auto& e : fsys::directory_iterator(dir_)) {
    const auto r = round_number(e.path().filename().string());
    if (r > round_ || (r > 0 && e.is_directory() && !full_.count(r))) fsys::remove_all(e.path());
  }
  const auto sketch_root = dir_ + "/sketches";
  if (!fsys::is_directory(sketch_root, ec)) return;
  for (const auto& client_dir : fsys::directory_iterator(sketch_root))
    for (const auto& e : fsys::directory_iterator(client_dir.path()))
      if (round_number(e.path().filename().string()) > round_) fsys::remove(e.path());
}

void UpdateHistory::restore(const json& index, const std::string& source) {
  LETHE_ASSERT(open_round_ == 0);
  const auto deltas = opts_.module_deltas;
  const auto budget = opts_.budget_bytes;
  load_index(index, source);
  opts_.module_deltas = deltas;
  opts_.budget_bytes = budget;
  remove_stale_files();
  write_index();
}

std::vector<int64_t> UpdateHistory::full_rounds() const {
  std::vector<int64_t> out;
  for (const auto& [round, f] : full_) out.push_back(round);
  return out;
}

const UpdateHistory::FullRecord& UpdateHistory::full(int64_t round) const {
  auto it = full_.find(round);
  LETHE_CHECK(it != full_.end(), "the history in '{}' has no full record of round {}{}", dir_,
              round,
              std::count(dropped_.begin(), dropped_.end(), round) ? " (dropped: over budget)" : "");
  return it->second;
}

const RoundRecord& UpdateHistory::round_record(int64_t round) const { return full(round).record; }

TensorMap UpdateHistory::global_before(int64_t round) const {
  return read_checked(round_dir(round) + "/global.safetensors", full(round).global_bytes,
                      dir_ + "/index.json");
}

TensorMap UpdateHistory::global_increment(int64_t round) const {
  return read_checked(round_dir(round) + "/increment.safetensors", full(round).increment_bytes,
                      dir_ + "/index.json");
}

TensorMap UpdateHistory::update(int64_t round, int64_t client) const {
  const auto& f = full(round);
  auto it = std::lower_bound(f.record.clients.begin(), f.record.clients.end(), client);
  LETHE_CHECK(it != f.record.clients.end() && *it == client,
              "client {} did not answer in round {} of the history in '{}'", client, round, dir_);
  const auto i = static_cast<size_t>(it - f.record.clients.begin());
  return read_checked(client_file(round, client), f.client_bytes[i], dir_ + "/index.json");
}

std::vector<int64_t> UpdateHistory::sketched_clients() const {
  std::vector<int64_t> out;
  for (const auto& [client, v] : sketches_) out.push_back(client);
  return out;
}

TensorMap UpdateHistory::sketch(int64_t client) const {
  auto it = sketches_.find(client);
  if (it == sketches_.end()) return {};
  return read_checked(sketch_file(client, it->second.version), it->second.bytes,
                      dir_ + "/index.json");
}

std::map<std::string, int64_t> UpdateHistory::sketch_ranks(int64_t client) const {
  auto it = sketches_.find(client);
  return it == sketches_.end() ? std::map<std::string, int64_t>{} : it->second.ranks;
}

}  // namespace lethe::fl
