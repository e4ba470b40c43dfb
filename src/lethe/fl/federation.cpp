#include "lethe/fl/federation.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/progress.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/stopwatch.h"

namespace lethe::fl {

namespace {
using nlohmann::json;

// The server-state key of the Forget Lock (Federation::set_forget_lock).
constexpr const char* kForgetLockKey = "forget_lock";
// The server-state key of what the clients of this process keep between rounds
// (Transport::client_state).
constexpr const char* kClientStateKey = "client_state";
// Clients removed by apply_unlearning(): meta {"clients": [...]}.
constexpr const char* kRemovedClientsKey = "removed_clients";

}  // namespace

json FederationTotals::to_json() const {
  return {{"rounds", rounds},         {"skipped_rounds", skipped_rounds},
          {"client_fits", client_fits}, {"steps", steps},
          {"refused", refused},
          {"bytes_down", bytes_down}, {"bytes_up", bytes_up},
          {"wall_s", wall_s},         {"train_s", train_s},
          {"checkpoint_s", checkpoint_s}};
}

FederationTotals FederationTotals::from_json(const json& j) {
  FederationTotals t;
  t.rounds = j.at("rounds").get<int64_t>();
  t.skipped_rounds = j.at("skipped_rounds").get<int64_t>();
  t.client_fits = j.at("client_fits").get<int64_t>();
  t.steps = j.at("steps").get<int64_t>();
  t.refused = j.value("refused", int64_t{0});  // absent before updates were screened
  t.bytes_down = j.at("bytes_down").get<int64_t>();
  t.bytes_up = j.at("bytes_up").get<int64_t>();
  t.wall_s = j.at("wall_s").get<double>();
  t.train_s = j.value("train_s", 0.0);  // absent before the overhead split was recorded
  t.checkpoint_s = j.value("checkpoint_s", 0.0);
  return t;
}

Federation::Federation(const FlConfig& cfg, Strategy& strategy, Transport& transport,
                       int64_t num_clients, std::string run_dir, uint64_t seed,
                       MetricsWriter* metrics)
    : cfg_(cfg),
      screen_(screen_options(cfg)),
      strategy_(strategy),
      transport_(transport),
      num_clients_(num_clients),
      run_dir_(std::move(run_dir)),
      seed_(seed),
      metrics_(metrics),
      checkpoints_(RunFolder(run_dir_).checkpoints(), cfg.keep_checkpoints),
      history_(RunFolder(run_dir_).history(), history_options(cfg)) {
  cfg_.validate();
  LETHE_CHECK(num_clients_ >= 1, "a federation needs at least one client, got {}", num_clients_);
  LETHE_CHECK(cfg_.min_fit_clients <= num_clients_,
              "config key 'fl.min_fit_clients' = {} exceeds the {} clients of the partition",
              cfg_.min_fit_clients, num_clients_);
}

void Federation::add_update_filter(UpdateFilter filter) {
  LETHE_ASSERT(!started_);
  filters_.push_back(std::move(filter));
}

void Federation::set_excluded_clients(std::vector<int64_t> clients) {
  for (int64_t c : clients)
    LETHE_CHECK(c >= 0 && c < num_clients_, "excluded client {} is not one of the {} clients", c,
                num_clients_);
  std::sort(clients.begin(), clients.end());
  excluded_ = std::move(clients);
}

void Federation::set_server_evaluation(ServerEvaluation fn) { server_eval_ = std::move(fn); }

void Federation::set_module_deltas(ModuleDeltaFn fn) {
  LETHE_ASSERT(!started_);
  history_.set_module_deltas(std::move(fn));
}

void Federation::set_extra_state(const std::string& key, StateBlob blob) {
  LETHE_CHECK(key != kForgetLockKey && key != kClientStateKey && key != kRemovedClientsKey,
              "'{}' is a reserved state key", key);
  extras_[key] = std::move(blob);
}

void Federation::set_forget_lock(const ForgetLock& lock) {
  if (lock.empty()) {
    lock_.reset();
    extras_.erase(kForgetLockKey);
    return;
  }
  lock_ = lock;
  extras_[kForgetLockKey] = lock.to_state();
  log_lock();
}

void Federation::log_lock() const {
  if (lock_->form == LockForm::kProjection)
    return log::info("the Forget Lock is in force: {} directions, projection, β = {}", lock_->directions(),
                     lock_->beta);
  if (lock_projects())
    return log::warn("the Forget Lock's penalty form needs clients that add its term, and this transport's do "
                     "not: the server projects every update off its {} directions instead",
                     lock_->directions());
  log::info("the Forget Lock is in force: {} directions, penalty λ = {} on the clients", lock_->directions(),
            lock_->lambda);
}

void Federation::apply_unlearning(TensorMap weights, const ForgetLock& lock,
                                  const std::vector<int64_t>& clients) {
  LETHE_CHECK(started_, "the federation has no model: call start() or resume() first");
  check_same_layout(weights, global_, "the unlearned weights");
  if (auto bad = describe_nonfinite(weights); !bad.empty())
    throw InputError(fmt::format("the unlearned weights are not finite ({}): the model is unchanged", bad));
  auto& removed = extras_[kRemovedClientsKey].meta["clients"];
  if (!removed.is_array()) removed = json::array();
  for (int64_t c : clients) {
    LETHE_CHECK(c >= 0 && c < num_clients_, "client {} is not one of the {} clients", c, num_clients_);
    removed.push_back(c);
    excluded_.push_back(c);
  }
  std::sort(excluded_.begin(), excluded_.end());
  excluded_.erase(std::unique(excluded_.begin(), excluded_.end()), excluded_.end());
  global_ = std::move(weights);
  if (!lock.empty()) set_forget_lock(lock);
  save_checkpoint();
  log::info("unlearning applied after round {}: {} client(s) removed, Forget Lock {} directions", round_,
            clients.size(), lock_ ? lock_->directions() : 0);
}

std::vector<int64_t> Federation::removed_clients() const {
  std::vector<int64_t> out;
  if (auto it = extras_.find(kRemovedClientsKey); it != extras_.end())
    for (const auto& c : it->second.meta.value("clients", json::array())) out.push_back(c.get<int64_t>());
  std::sort(out.begin(), out.end());
  return out;
}

bool Federation::lock_projects() const {
  return lock_ && (lock_->form == LockForm::kProjection || !transport_.carries_gradient_terms());
}

std::vector<UpdateFilter> Federation::server_filters() const {
  auto filters = filters_;
  if (lock_projects()) filters.push_back(lock_->filter());
  return filters;
}

LocalRules Federation::local_rules() const {
  LocalRules rules{.gradient_terms = {}, .gradient_filters = server_filters()};
  if (lock_ && !lock_projects()) rules.gradient_terms.push_back(lock_->penalty_term());
  return rules;
}

const StateBlob* Federation::extra_state(const std::string& key) const {
  auto it = extras_.find(key);
  return it == extras_.end() ? nullptr : &it->second;
}

std::vector<int64_t> Federation::population() const {
  std::vector<int64_t> out;
  for (int64_t c = 0; c < num_clients_; ++c) out.push_back(c);
  return out;
}

void Federation::start(TensorMap initial_global) {
  LETHE_ASSERT(!started_);
  LETHE_CHECK(!checkpoints_.latest(),
              "run folder '{}' already holds a federated run (checkpoints/latest): resume it or "
              "choose another output folder",
              run_dir_);
  LETHE_CHECK(!initial_global.empty(), "the initial global model has no tensors");
  // Leftovers of a start that crashed before its first checkpoint.
  std::filesystem::remove_all(history_.dir());
  global_ = std::move(initial_global);
  round_ = 0;
  started_ = true;
  save_checkpoint();
}

void Federation::check_compatible(const ServerState& s, const std::string& source) const {
  LETHE_CHECK(s.seed == seed_, "cannot resume '{}': it was trained with seed {}, not {}", source,
              s.seed, seed_);
  LETHE_CHECK(s.num_clients == num_clients_, "cannot resume '{}': it has {} clients, not {}",
              source, s.num_clients, num_clients_);
  LETHE_CHECK(s.strategy_name == strategy_.name(),
              "cannot resume '{}': it was trained with strategy '{}', not '{}'", source,
              s.strategy_name, strategy_.name());
  auto cfg = cfg_;
  const json now = config_json(cfg);
  for (const auto& [key, value] : now.items()) {
    if (resumable_key(key)) continue;
    LETHE_CHECK(s.config.contains(key) && s.config.at(key) == value,
                "cannot resume '{}': config key 'fl.{}' was {} and is now {}", source, key,
                s.config.contains(key) ? s.config.at(key).dump() : "unset", value.dump());
  }
}

void Federation::resume(std::optional<int64_t> round) {
  LETHE_ASSERT(!started_);
  if (!round) {
    round = checkpoints_.latest();
    LETHE_CHECK(round,
                "cannot resume: '{}' has no checkpoint (no {}/latest); start the run again without "
                "--resume", run_dir_, checkpoints_.dir());
  }
  // A process killed mid-write leaves its temporary files (write_file_atomic): sweep them.
  const int64_t swept = remove_stale_temporaries(checkpoints_.dir()) + remove_stale_temporaries(history_.dir());
  if (swept > 0) log::info("removed {} temporary file(s) a killed run left behind", swept);
  const auto source = checkpoints_.json_path(*round);
  ServerState s = checkpoints_.load(*round);
  check_compatible(s, source);
  strategy_.load_state(s.strategy);
  history_.restore(s.history, source);
  try {
    totals_ = FederationTotals::from_json(s.counters);
  } catch (const json::exception& e) {
    throw InputError(fmt::format("checkpoint '{}' has malformed counters: {}", source, e.what()));
  }
  checkpoints_.remove_after(*round);
  if (auto it = s.extras.find(kClientStateKey); it != s.extras.end()) {
    transport_.load_client_state(it->second, source);
    s.extras.erase(it);
  }
  for (auto& [key, blob] : s.extras) extras_[key] = std::move(blob);
  if (auto it = extras_.find(kRemovedClientsKey); it != extras_.end()) {
    const auto& removed = it->second.meta.value("clients", json::array());
    LETHE_CHECK(removed.is_array(), "checkpoint '{}': malformed removed clients", source);
    for (const auto& c : removed) {
      LETHE_CHECK(c.is_number_integer() && c.get<int64_t>() >= 0 && c.get<int64_t>() < num_clients_,
                  "checkpoint '{}': removed client {} is not one of the {} clients", source, c.dump(),
                  num_clients_);
      excluded_.push_back(c.get<int64_t>());
    }
    std::sort(excluded_.begin(), excluded_.end());
    excluded_.erase(std::unique(excluded_.begin(), excluded_.end()), excluded_.end());
  }
  if (auto it = extras_.find(kForgetLockKey); it != extras_.end()) {
    lock_ = ForgetLock::from_state(it->second, source);
    log_lock();
  }
  global_ = std::move(s.global);
  round_ = s.round;
  started_ = true;
  log::info("resumed the federated run in '{}' after round {}", run_dir_, round_);
}

ServerState Federation::current_state() const {
  ServerState s;
  s.round = round_;
  s.seed = seed_;
  s.num_clients = num_clients_;
  s.global = global_;
  s.strategy_name = strategy_.name();
  s.strategy = strategy_.state();
  s.extras = extras_;
  if (auto clients = transport_.client_state(); !clients.empty())
    s.extras[kClientStateKey] = std::move(clients);
  s.history = history_.index();
  auto cfg = cfg_;
  s.config = config_json(cfg);
  s.counters = totals_.to_json();
  return s;
}

void Federation::save_checkpoint() {
  const Stopwatch clock;
  checkpoints_.save(current_state());
  totals_.checkpoint_s += clock.seconds();
  const auto kept = checkpoints_.rounds();
  if (cfg_.keep_checkpoints > 0 && !kept.empty()) history_.release(kept.front());
}

std::optional<TensorMap> Federation::aggregate(int64_t round, const UpdateAggregator& aggregator) {
  // A failure here is a failure on the clients' data (an overflow, all weights 0): the round
  // is skipped and the strategy's server-optimiser state rolled back, as if it never ran.
  const StateBlob before = strategy_.state();
  std::string failure;
  try {
    auto next = strategy_.aggregate_fit(round, global_, aggregator);
    failure = describe_nonfinite(next);
    if (failure.empty()) return next;
  } catch (const std::logic_error&) {
    throw;  // LETHE_ASSERT: a bug, not the clients' data
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {  // LibTorch's (c10::Error, std::runtime_error) and ours
    const std::string what = e.what();
    failure = what.substr(0, what.find('\n'));  // LibTorch appends a backtrace
  }
  strategy_.load_state(before);
  log::warn("round {} skipped: the aggregate of its updates is unusable ({}); the model stays as "
            "after round {}", round, failure, round_);
  return std::nullopt;
}

RoundSummary Federation::run_round() {
  LETHE_CHECK(started_, "the federation has no model: call start() or resume() first");
  const Stopwatch round_clock;
  RoundSummary sum;
  const int64_t t = sum.round = round_ + 1;

  auto instructions = strategy_.configure_fit(t, transport_.available(population()), seed_);
  std::erase_if(instructions, [&](const FitInstruction& i) {
    return std::binary_search(excluded_.begin(), excluded_.end(), i.client);
  });
  sum.sampled = static_cast<int64_t>(instructions.size());

  history_.begin_round(t, global_);
  auto aggregator = strategy_.make_aggregator(t);
  double loss_sum = 0;
  const auto filters = server_filters();
  const auto local = local_rules();
  std::vector<std::pair<int64_t, std::string>> refusals;  // (client, why), in the order decided
  auto refuse = [&](int64_t client, std::string why) {
    log::warn("round {}: update of client {} refused: {}", t, client, why);
    refusals.emplace_back(client, std::move(why));
  };
  std::vector<double> counted_norms;
  // Filters, history, aggregate. A history record that fails numerically (the client's sketch)
  // leaves no trace and refuses the update, so history and aggregate always hold the same ones.
  auto count = [&](int64_t client, FitRes& res, double norm) {
    for (const auto& f : filters) f(client, res.update);
    try {
      history_.record(client, res.update, res.num_examples);
    } catch (const NumericalError& e) {
      return refuse(client, e.what());
    }
    loss_sum += res.loss * double(res.num_examples);
    sum.num_examples += res.num_examples;
    sum.steps += res.steps;
    counted_norms.push_back(norm);
    aggregator->add(client, std::move(res.update), double(res.num_examples));
  };
  // With a relative bound, answers wait (in client order) until the round's median is known.
  struct Held {
    int64_t client;
    FitRes res;
    double norm;
  };
  std::vector<Held> held;
  int64_t screened_in = 0;  // answers that reached the engine
  const auto reports = transport_.fit(t, global_, instructions, local, [&](int64_t client,
                                                                            FitRes& res) {
    check_same_layout(global_, res.update, fmt::format("round {}: update of client {}", t, client));
    LETHE_CHECK(res.num_examples >= 0, "round {}: client {} reported {} examples", t, client,
                res.num_examples);
    ++screened_in;
    double norm = 0;
    if (auto why = screen_result(res, screen_, norm); !why.empty()) return refuse(client, why);
    if (screen_.median_k > 0)
      held.push_back({client, std::move(res), norm});
    else
      count(client, res, norm);
  });
  if (!held.empty()) {
    std::vector<double> norms;
    for (const auto& h : held)
      if (h.res.num_examples > 0) norms.push_back(h.norm);
    const double bound = median_bound(norms, screen_.median_k);
    for (auto& h : held) {
      if (h.norm > bound)
        refuse(h.client, fmt::format("update norm {:.4g} exceeds fl.screen_median_k = {} x the "
                                     "round's median norm {:.4g}",
                                     h.norm, screen_.median_k, bound / screen_.median_k));
      else
        count(h.client, h.res, h.norm);
    }
    held.clear();
  }
  int64_t delivered = 0, refused_by_transport = 0;
  for (const auto& r : reports) {
    delivered += r.outcome == Outcome::kAnswered;
    sum.failed += r.outcome == Outcome::kFailed;
    sum.late += r.outcome == Outcome::kLate;
    refused_by_transport += r.outcome == Outcome::kRefused;
    sum.response_s = std::max(sum.response_s, r.response_s);
    sum.train_s += r.train_s;
  }
  LETHE_ASSERT(screened_in == delivered);
  // The transport's refusals came first (on upload, or a diverged training), then the engine's.
  std::vector<std::pair<int64_t, std::string>> transport_refusals;
  for (const auto& r : reports)
    for (const auto& why : r.refusals) transport_refusals.emplace_back(r.client, why);
  refusals.insert(refusals.begin(), transport_refusals.begin(), transport_refusals.end());
  sum.answered = aggregator->count();
  sum.refused = static_cast<int64_t>(refusals.size());
  if (!counted_norms.empty()) {
    sum.update_norm_max = *std::max_element(counted_norms.begin(), counted_norms.end());
    sum.update_norm_median = median(std::move(counted_norms));
  }
  sum.loss = sum.num_examples > 0 ? loss_sum / double(sum.num_examples) : 0.0;
  const int64_t model_bytes = nbytes(global_);
  sum.bytes_down = model_bytes * sum.sampled;
  sum.bytes_up = model_bytes * delivered;

  sum.skipped = sum.answered < cfg_.min_fit_clients;
  if (sum.skipped) {
    log::warn("round {} skipped: {} of {} sampled clients counted ({} failed, {} late, {} refused), "
              "fl.min_fit_clients = {}",
              t, sum.answered, sum.sampled, sum.failed, sum.late, sum.refused, cfg_.min_fit_clients);
  } else if (auto next = aggregate(t, *aggregator)) {
    aggregator.reset();
    history_.commit_round(*next);
    global_ = std::move(*next);
  } else {
    sum.skipped = true;
  }
  if (sum.skipped) history_.discard_round();
  round_ = t;
  sum.round_s = round_clock.seconds();
  totals_.rounds += 1;
  totals_.skipped_rounds += sum.skipped;
  // Every client that trained, counted or not.
  totals_.client_fits += delivered + sum.late + refused_by_transport;
  totals_.steps += sum.steps;
  totals_.refused += sum.refused;
  totals_.bytes_down += sum.bytes_down;
  totals_.bytes_up += sum.bytes_up;
  totals_.wall_s += sum.round_s;
  totals_.train_s += sum.train_s;

  if (metrics_) {
    for (const auto& [client, why] : refusals)
      metrics_->write("fl_refused", {{"round", t}, {"client", client}, {"reason", why}});
    const auto usage = history_.usage();
    metrics_->write("fl_round", {{"round", t},
                                 {"sampled", sum.sampled},
                                 {"answered", sum.answered},
                                 {"failed", sum.failed},
                                 {"late", sum.late},
                                 {"refused", sum.refused},
                                 {"skipped", sum.skipped},
                                 {"loss", sum.loss},
                                 {"num_examples", sum.num_examples},
                                 {"steps", sum.steps},
                                 {"bytes_down", sum.bytes_down},
                                 {"bytes_up", sum.bytes_up},
                                 {"round_s", sum.round_s},
                                 {"train_s", sum.train_s},
                                 {"response_s", sum.response_s},
                                 {"update_norm_median", sum.update_norm_median},
                                 {"update_norm_max", sum.update_norm_max},
                                 {"history_full_bytes", usage.full_bytes},
                                 {"history_sketch_bytes", usage.sketch_bytes}});
  }
  if (t % cfg_.checkpoint_every == 0) save_checkpoint();
  return sum;
}

std::map<std::string, double> Federation::evaluate() {
  LETHE_CHECK(started_, "the federation has no model: call start() or resume() first");
  std::map<std::string, double> out;
  if (server_eval_)
    for (const auto& [k, v] : server_eval_(round_, global_)) out["server_" + k] = v;
  auto available = transport_.available(population());
  std::erase_if(available, [&](int64_t c) {
    return std::binary_search(excluded_.begin(), excluded_.end(), c);
  });
  const auto clients = strategy_.configure_evaluate(round_, available, seed_);
  if (!clients.empty()) {
    const auto results = transport_.evaluate(round_, global_, clients);
    for (const auto& [k, v] : strategy_.aggregate_evaluate(round_, results)) out["clients_" + k] = v;
  }
  if (metrics_ && !out.empty()) {
    json fields = {{"round", round_}};
    for (const auto& [k, v] : out) fields[k] = v;
    metrics_->write("fl_eval", fields);
  }
  return out;
}

void Federation::run(std::optional<int64_t> last_round,
                     const std::function<void(const RoundSummary&)>& on_round) {
  LETHE_CHECK(started_, "the federation has no model: call start() or resume() first");
  const int64_t last = last_round.value_or(cfg_.rounds);
  if (round_ >= last) return;
  Progress progress("federated rounds", last - round_, "round");
  while (round_ < last) {
    const auto sum = run_round();
    if (round_ == last && round_ % cfg_.checkpoint_every != 0) save_checkpoint();
    if (cfg_.evaluate_every > 0 && (round_ % cfg_.evaluate_every == 0 || round_ == last))
      evaluate();
    progress.set_note(sum.skipped ? fmt::format("skipped, {} answered", sum.answered)
                                  : fmt::format("loss {:.4f}, {}/{} answered", sum.loss,
                                                sum.answered, sum.sampled));
    progress.tick();
    if (on_round) on_round(sum);
  }
  progress.done();
}

}  // namespace lethe::fl
