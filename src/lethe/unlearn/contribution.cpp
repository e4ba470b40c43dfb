#include "lethe/unlearn/contribution.h"

#include <fmt/ranges.h>

#include <algorithm>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/run_folder.h"

namespace lethe::unlearn {

namespace {

fl::UpdateHistory open_history(const std::string& run_dir, const std::string& method) {
  const RunFolder run(run_dir);
  const auto dir = run.history();
  LETHE_CHECK(run.has_history(),
              "{} needs the run's update history, but '{}/index.json' does not exist; train with "
              "fl.history_every = 1",
              method, dir);
  return fl::UpdateHistory::open(dir);
}

}  // namespace

HistoryReader::HistoryReader(const std::string& run_dir, std::string method)
    : history_(open_history(run_dir, method)), method_(std::move(method)) {
  const auto index = history_.index();
  every_ = index.at("every").get<int64_t>();
  for (const auto& f : index.at("full")) {
    RoundFiles files;
    files.global = f.at("global_bytes").get<int64_t>();
    files.increment = f.at("increment_bytes").get<int64_t>();
    const auto clients = f.at("clients").get<std::vector<int64_t>>();
    const auto bytes = f.at("client_bytes").get<std::vector<int64_t>>();
    for (size_t i = 0; i < clients.size(); ++i) files.clients[clients[i]] = bytes[i];
    files_[f.at("round").get<int64_t>()] = std::move(files);
  }
  rounds_ = history_.full_rounds();
  LETHE_CHECK(!rounds_.empty(),
              "{} needs full client updates, but the history in '{}' holds none (fl.history_every = "
              "{}); train with fl.history_every = 1",
              method_, history_.dir(), every_);
}

void HistoryReader::require_every_round() const {
  const auto& dropped = history_.dropped_rounds();
  LETHE_CHECK(dropped.empty(),
              "{} needs every full record, but the history in '{}' dropped round(s) {} over "
              "fl.history_budget_mb; train with a larger fl.history_budget_mb (0 = unlimited)",
              method_, history_.dir(), fmt::join(dropped, ", "));
}

bool HistoryReader::complete() const { return every_ == 1 && history_.dropped_rounds().empty(); }

std::vector<int64_t> HistoryReader::rounds_answered(int64_t client) const {
  std::vector<int64_t> out;
  for (int64_t t : rounds_)
    if (answered(t, client)) out.push_back(t);
  LETHE_CHECK(!out.empty() || complete(),
              "{}: client {} answered in none of the {} stored round(s) of the history in '{}' "
              "(fl.history_every = {}, {} dropped); train with fl.history_every = 1 to record its "
              "updates",
              method_, client, rounds_.size(), history_.dir(), every_,
              history_.dropped_rounds().size());
  return out;
}

bool HistoryReader::answered(int64_t round, int64_t client) const {
  const auto& clients = record(round).clients;
  return std::binary_search(clients.begin(), clients.end(), client);
}

double HistoryReader::weight(int64_t round, int64_t client) const {
  const auto& r = record(round);
  double total = 0, own = 0;
  for (size_t i = 0; i < r.clients.size(); ++i) {
    total += double(r.num_examples[i]);
    if (r.clients[i] == client) own = double(r.num_examples[i]);
  }
  return total > 0 ? own / total : 0.0;
}

TensorMap HistoryReader::global_before(int64_t round) {
  auto out = history_.global_before(round);
  bytes_read_ += files_.at(round).global;
  return out;
}

TensorMap HistoryReader::global_increment(int64_t round) {
  auto out = history_.global_increment(round);
  bytes_read_ += files_.at(round).increment;
  return out;
}

TensorMap HistoryReader::update(int64_t round, int64_t client) {
  auto out = history_.update(round, client);
  bytes_read_ += files_.at(round).clients.at(client);
  return out;
}

nlohmann::json HistoryReader::summary() const {
  return {{"history_every", every_},
          {"rounds_stored", rounds_.size()},
          {"last_round", last_round()},
          {"dropped_rounds", history_.dropped_rounds()}};
}

std::vector<Target> targets_of(const UnlearnInputs& in) {
  const auto& f = in.forget;
  std::vector<Target> out;
  for (int64_t k : f.holders) {
    Target t{k, 1.0, {}};
    for (int64_t p : in.clients.train[k])
      if (std::binary_search(f.forget.begin(), f.forget.end(), p)) t.forget_pairs.push_back(p);
    // A removed client's whole contribution goes, whatever share of its data D_f names.
    if (f.request.kind != Request::Kind::kClient)
      t.share = double(t.forget_pairs.size()) / double(in.clients.train[k].size());
    out.push_back(std::move(t));
  }
  return out;
}

Contribution stored_contribution(HistoryReader& history, int64_t client, const TensorMap& like) {
  Contribution c;
  c.sum = zeros_like(like);
  c.rounds = history.rounds_answered(client);
  for (int64_t t : c.rounds) {
    c.weights.push_back(history.weight(t, client));
    add_(c.sum, history.update(t, client), c.weights.back());
  }
  return c;
}

}  // namespace lethe::unlearn
