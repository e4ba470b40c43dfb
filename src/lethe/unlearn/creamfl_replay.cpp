#include "lethe/unlearn/creamfl_replay.h"

#include "lethe/core/fs.h"
#include "lethe/creamfl/train.h"
#include "lethe/data/fashion_mnist.h"
#include "lethe/unlearn/forget_set.h"

namespace lethe::unlearn {

namespace {

// The run's inputs; `fl`: its federation settings or a replay's variant of them.
creamfl::CreamInputs cream_inputs(const experiment::ExperimentConfig& cfg, const fl::FlConfig& fl) {
  return {cfg.creamfl, fl, cfg.train, cfg.data};
}

int64_t emoji_clients(const creamfl::CreamConfig& c) { return c.paired_clients + c.image_clients + c.text_clients; }

}  // namespace

bool is_creamfl(const experiment::ExperimentConfig& cfg) { return cfg.fl.strategy == "creamfl"; }

experiment::ClientData creamfl_holders(const experiment::ExperimentConfig& cfg, const data::Dataset& ds,
                                       const std::string& run_dir) {
  const auto part = creamfl::run_partition(cream_inputs(cfg, cfg.fl), ds, nullptr, cfg.run.context.seed);
  const std::string path = run_dir + "/partition.json";
  LETHE_CHECK(file_exists(path), "--run {}: no partition.json (did training start?)", run_dir);
  const auto saved = nlohmann::json::parse(read_file(path), nullptr, false);
  LETHE_CHECK(saved == creamfl::to_json(part),
              "{} is not the partition this run's config and seed make (was the data or the config "
              "changed after training?)",
              path);
  experiment::ClientData out;
  for (const auto& d : part.parties) out.train.push_back(d.pairs);
  out.train.push_back(part.public_pairs);
  // No client holds validation pairs; the server's held-out gallery is every holder's, so the
  // ascent family's stopping rule and MultiDelete's pass selection have a probe (in deployment
  // the server answers each probe with one R@1).
  out.val.assign(out.train.size(), part.val_pairs);
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
  if (request.kind == Request::Kind::kConcept && cfg.creamfl.fashion_clients > 0)
    for (const auto& caption : data::fashion_captions())
      LETHE_CHECK(!has_word(caption, request.word),
                  "request '{}': Fashion-MNIST captions mention '{}' (\"{}\") and the run's {} Fashion-MNIST "
                  "client(s) train on them, but a CreamFL request removes emoji pairs only: forgetting "
                  "Fashion-MNIST data is not supported yet",
                  request.str(), request.word, caption, cfg.creamfl.fashion_clients);
  const bool names_client =
      request.kind == Request::Kind::kClient || (request.kind == Request::Kind::kSamples && request.ids_file.empty());
  if (!names_client) return;
  const int64_t k = request.client, emoji = emoji_clients(cfg.creamfl), n = cfg.creamfl.num_clients();
  LETHE_CHECK(k != n, "request '{}': {} is the server's public set, not a client (clients 0..{})",
              request.str(), k, n - 1);
  LETHE_CHECK(k < n, "request '{}': client {} does not exist (clients 0..{})", request.str(), k, n - 1);
  LETHE_CHECK(k < emoji,
              "request '{}': client {} trains on Fashion-MNIST images, which the audit's emoji data "
              "does not hold; CreamFL requests name the emoji clients 0..{}",
              request.str(), k, emoji - 1);
}

nlohmann::json replay_creamfl(const UnlearnInputs& in, models::Clip& server, const std::string& dir,
                              MetricsWriter& metrics, const CreamReplay& how) {
  auto fl = in.cfg.fl;
  if (how.local_epochs > 0) fl.local_epochs = how.local_epochs;
  const auto inputs = cream_inputs(in.cfg, fl);
  const auto original = creamfl::run_partition(inputs, in.ds, nullptr, in.ctx.seed());
  auto part = original;
  if (!how.with_forget_data) {
    part = creamfl::without_pairs(original, in.ds, in.cfg.creamfl.class_label, in.forget.forget);
    // A removed client keeps its data: it is built (its seed stream and index stay) and dropped.
    for (int64_t k : in.forget.removed_clients) part.parties[k] = original.parties[k];
  }
  creamfl::CreamRunOptions opts;
  opts.partition = &part;
  if (!how.with_forget_data) opts.excluded_clients = in.forget.removed_clients;
  if (how.from_run) opts.continue_from = in.run_dir + "/checkpoints";
  opts.rounds = how.rounds;
  opts.server_eval = false;
  opts.history = false;
  opts.server_filter = how.server_filter;
  opts.share_filter = how.share_filter;
  if (how.after_round) opts.probe.after = how.after_round;
  make_dirs(dir);
  return creamfl::train_creamfl(server, in.ds, in.tokens, inputs, in.ctx, dir, metrics, opts);
}

}  // namespace lethe::unlearn
