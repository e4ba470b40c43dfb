#include "lethe/unlearn/creamfl_replay.h"

#include "lethe/core/fs.h"
#include "lethe/core/run_folder.h"
#include "lethe/creamfl/train.h"

namespace lethe::unlearn {

namespace {

// The run's inputs; `fl`: its federation settings or a replay's variant of them.
creamfl::CreamInputs cream_inputs(const experiment::ExperimentConfig& cfg, const fl::FlConfig& fl) {
  return {cfg.creamfl, fl, cfg.train, cfg.data};
}

}  // namespace


std::optional<data::Dataset> creamfl_fashion(const experiment::ExperimentConfig& cfg) {
  if (experiment::run_kind(cfg) != experiment::RunKind::kCreamFl || cfg.creamfl.fashion_clients == 0)
    return std::nullopt;
  return creamfl::fashion_data(cream_inputs(cfg, cfg.fl));
}

experiment::ClientData creamfl_holders(const experiment::ExperimentConfig& cfg, const data::Dataset& ds,
                                       const data::Dataset* fashion, const std::string& run_dir) {
  LETHE_CHECK(cfg.creamfl.fashion_clients == 0 || fashion, "creamfl: the holders of fashion clients need Fashion-MNIST");
  const auto part = creamfl::run_partition(cream_inputs(cfg, cfg.fl), ds, fashion, cfg.run.context.seed);
  const std::string path = RunFolder(run_dir).partition();
  LETHE_CHECK(file_exists(path), "--run {}: no partition.json (did training start?)", run_dir);
  const auto saved = nlohmann::json::parse(read_file(path), nullptr, false);
  LETHE_CHECK(saved == creamfl::to_json(part),
              "{} is not the partition this run's config and seed make (was the data or the config "
              "changed after training?)",
              path);
  // Fashion-MNIST pairs are named after the emoji ones (data::append(ds, *fashion)).
  const auto shifted = [&](const std::vector<int64_t>& ids) {
    std::vector<int64_t> out;
    for (int64_t p : ids) out.push_back(ds.num_pairs() + p);
    return out;
  };
  experiment::ClientData out;
  for (const auto& d : part.parties) out.train.push_back(d.kind == creamfl::PartyKind::kFashion ? shifted(d.pairs) : d.pairs);
  out.train.push_back(part.public_pairs);
  // No emoji client holds validation pairs; the server's held-out gallery is every emoji
  // holder's, so the ascent family's stopping rule and MultiDelete's pass selection have a probe
  // (in deployment the server answers each probe with one R@1). A Fashion-MNIST client's probe is
  // Fashion-MNIST's test images: non-members of its own distribution.
  for (const auto& d : part.parties)
    out.val.push_back(d.kind == creamfl::PartyKind::kFashion ? shifted(fashion->test) : part.val_pairs);
  out.val.push_back(part.val_pairs);
  return out;
}

std::string creamfl_refusal(const experiment::ExperimentConfig& cfg, const std::string& method) {
  if (!unlearners().get(method).factory()->reads_history()) return "";
  if (!cfg.creamfl.client_shares)
    return fmt::format("method '{}' reads each client's share of the server's updates, which this CreamFL "
                       "run did not keep: train it with creamfl.client_shares = true",
                       method);
  return "";
}

void check_creamfl_request(const experiment::ExperimentConfig& cfg, const Request& request,
                           const std::vector<std::string>& methods) {
  for (const auto& m : methods)
    if (auto why = creamfl_refusal(cfg, m); !why.empty()) throw InputError(why);
  const bool names_client =
      request.kind == Request::Kind::kClient || (request.kind == Request::Kind::kSamples && request.ids_file.empty());
  if (!names_client) return;
  const int64_t k = request.client, n = cfg.creamfl.num_clients();
  LETHE_CHECK(k != n, "request '{}': {} is the server's public set, not a client (clients 0..{})",
              request.str(), k, n - 1);
  LETHE_CHECK(k < n, "request '{}': client {} does not exist (clients 0..{})", request.str(), k, n - 1);
}

creamfl::CreamTotals replay_creamfl(const UnlearnInputs& in, models::Clip& server, const std::string& dir,
                              MetricsWriter& metrics, const CreamReplay& how) {
  auto fl = in.cfg.fl;
  if (how.local_epochs > 0) fl.local_epochs = how.local_epochs;
  const auto inputs = cream_inputs(in.cfg, fl);
  const auto& ds = in.federation ? *in.federation : in.ds;
  const auto fashion = creamfl_fashion(in.cfg);
  const auto original = creamfl::run_partition(inputs, ds, fashion ? &*fashion : nullptr, in.ctx.seed());
  auto part = original;
  if (!how.with_forget_data) {
    std::vector<int64_t> emoji_forget, fashion_forget;  // D_f by dataset, each in its own ids
    for (int64_t p : in.forget.forget) {
      if (is_appended(in, p)) {
        fashion_forget.push_back(p - ds.num_pairs());
      } else {
        emoji_forget.push_back(p);
      }
    }
    part = creamfl::without_pairs(original, ds, in.cfg.creamfl.class_label, emoji_forget,
                                  fashion ? &*fashion : nullptr, fashion_forget);
    // A removed client keeps its data: it is built (its seed stream and index stay) and dropped.
    for (int64_t k : in.forget.removed_clients) part.parties[k] = original.parties[k];
  }
  creamfl::CreamRunOptions opts;
  opts.partition = &part;
  opts.fashion = fashion ? &*fashion : nullptr;
  if (!how.with_forget_data) opts.excluded_clients = in.forget.removed_clients;
  if (how.from_run) opts.continue_from = RunFolder(in.run_dir).checkpoints();
  opts.rounds = how.rounds;
  opts.server_eval = false;
  opts.history = false;
  opts.server_filter = how.server_filter;
  opts.share_filter = how.share_filter;
  if (how.after_round) opts.probe.after = how.after_round;
  make_dirs(dir);
  // The federation's captions come first in in.tokens.
  const auto tokens = in.tokens.slice(0, 0, static_cast<int64_t>(ds.captions.size()));
  return creamfl::train_creamfl(server, ds, tokens, inputs, in.ctx, dir, metrics, opts);
}

}  // namespace lethe::unlearn
