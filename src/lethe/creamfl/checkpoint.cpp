#include "lethe/creamfl/checkpoint.h"

#include "lethe/core/error.h"
#include "lethe/core/tensor_map.h"
#include "lethe/train/optimizer_state.h"

namespace lethe::creamfl {

namespace {
constexpr const char* kStrategy = "creamfl";
constexpr const char* kServer = "server";
std::string party_key(size_t k) { return "party_" + std::to_string(k); }
}  // namespace

nlohmann::json RunCounters::to_json() const {
  return {{"fits", fits},       {"steps", steps},
          {"bytes_up", bytes_up}, {"bytes_down", bytes_down},
          {"fedavg_bytes", fedavg_bytes}, {"val_r1", val_r1}};
}

RunCounters RunCounters::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    RunCounters c;
    c.fits = j.at("fits").get<int64_t>();
    c.steps = j.at("steps").get<int64_t>();
    c.bytes_up = j.at("bytes_up").get<int64_t>();
    c.bytes_down = j.at("bytes_down").get<int64_t>();
    c.fedavg_bytes = j.at("fedavg_bytes").get<int64_t>();
    c.val_r1 = j.at("val_r1").get<double>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("checkpoint '{}' has malformed counters: {}", source, e.what()));
  }
}

nlohmann::json resume_config(const CreamInputs& in) {
  auto fl = in.fl;
  auto cream = in.cream;
  auto train = in.train;
  auto fl_json = fl::config_json(fl);
  for (auto it = fl_json.begin(); it != fl_json.end();)
    it = fl::resumable_key(it.key()) ? fl_json.erase(it) : std::next(it);
  return {{"fl", fl_json}, {"creamfl", fl::config_json(cream)}, {"train", fl::config_json(train)}};
}

void save_checkpoint(fl::CheckpointStore& store, int64_t round, uint64_t seed,
                     const FederationState& st, const nlohmann::json& config) {
  fl::ServerState s;
  s.round = round;
  s.seed = seed;
  s.num_clients = static_cast<int64_t>(st.parties.size());
  s.global = state_dict(*st.server);
  s.strategy_name = kStrategy;
  s.extras[kServer].tensors = train::export_adamw_state(*st.server, st.srv.optimizer());
  for (size_t k = 0; k < st.parties.size(); ++k) {
    auto& p = *st.parties[k];
    auto& blob = s.extras[party_key(k)];
    blob.tensors = train::export_training_state(p.module(), p.optimizer());
    blob.meta = {{"name", p.data().name}};
  }
  s.config = config;
  s.counters = st.counters.to_json();
  if (st.history) s.history = st.history->index();
  store.save(s);
}

int64_t load_checkpoint(const fl::CheckpointStore& store, uint64_t seed, FederationState& st,
                        const nlohmann::json& config) {
  const auto round = store.latest();
  LETHE_CHECK(round, "cannot resume: '{}' has no checkpoint (no latest)", store.dir());
  const auto source = store.json_path(*round);
  auto s = store.load(*round);
  const auto n = static_cast<int64_t>(st.parties.size());
  LETHE_CHECK(s.strategy_name == kStrategy, "cannot resume '{}': it is a '{}' run, not CreamFL", source,
              s.strategy_name);
  LETHE_CHECK(s.seed == seed, "cannot resume '{}': it was trained with seed {}, not {}", source, s.seed,
              seed);
  LETHE_CHECK(s.num_clients == n, "cannot resume '{}': it has {} clients, not {}", source,
              s.num_clients, n);
  for (const auto& [section, keys] : config.items())
    for (const auto& [key, value] : keys.items()) {
      const auto* was = s.config.contains(section) && s.config[section].contains(key)
                            ? &s.config[section][key] : nullptr;
      LETHE_CHECK(was && *was == value, "cannot resume '{}': config key '{}.{}' was {} and is now {}",
                  source, section, key, was ? was->dump() : "unset", value.dump());
    }
  try {
    load_state_dict(*st.server, s.global);
  } catch (const InputError& e) {
    throw InputError(fmt::format("cannot resume '{}': the server model: {}", source, e.what()));
  }
  const auto& server_opt = s.extras[kServer].tensors;
  if (!server_opt.empty())
    train::import_adamw_state(*st.server, st.srv.optimizer(), server_opt, source + " (server)");
  for (int64_t k = 0; k < n; ++k) {
    auto it = s.extras.find(party_key(k));
    LETHE_CHECK(it != s.extras.end(), "checkpoint '{}' has no state of client {}", source, k);
    auto& p = *st.parties[k];
    train::import_training_state(p.module(), p.optimizer(), it->second.tensors,
                                 fmt::format("{} (client '{}')", source, p.data().name));
  }
  st.counters = RunCounters::from_json(s.counters, source);
  if (st.history) st.history->restore(s.history, source);
  return *round;
}

int64_t restore_checkpoint(const fl::CheckpointStore& store, uint64_t seed, FederationState& st,
                           const nlohmann::json& config) {
  const int64_t round = load_checkpoint(store, seed, st, config);
  store.remove_after(round);
  return round;
}

}  // namespace lethe::creamfl
