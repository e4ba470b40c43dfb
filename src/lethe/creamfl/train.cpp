#include "lethe/creamfl/train.h"

#include <algorithm>
#include <optional>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/rng.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/stopwatch.h"
#include "lethe/core/tensor_map.h"
#include "lethe/creamfl/checkpoint.h"
#include "lethe/creamfl/ensemble.h"
#include "lethe/creamfl/party.h"
#include "lethe/creamfl/server.h"
#include "lethe/creamfl/shares.h"
#include "lethe/eval/embed.h"
#include "lethe/fl/history.h"
#include "lethe/fl/sampling.h"

namespace lethe::creamfl {

namespace {

int64_t parameter_count(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// Bytes of a (|P|,D) fp32 representation matrix.
int64_t rep_bytes(int64_t num_public, int64_t dim) { return num_public * dim * int64_t(sizeof(float)); }

// θ ← θ_before + filter(θ − θ_before) on the server's trainable parameters.
void filter_round(models::Clip& server, const TensorMap& before, const fl::UpdateFilter& filter) {
  TensorMap delta;
  for (const auto& p : server->named_parameters())
    if (p.value().requires_grad()) delta[p.key()] = p.value().detach() - before.at(p.key());
  filter(-1, delta);
  torch::NoGradGuard no_grad;
  for (auto& p : server->named_parameters())
    if (auto it = delta.find(p.key()); it != delta.end()) p.value().copy_(before.at(p.key()) + it->second);
}

// Each client's share s_k of the round, recorded on FedAvg's scale: as the update Δ_k with
// weight n_k (its examples), Δ_k = s_k·Σ_j n_j / n_k, so that the history's Σ_k p_k·Δ_k is
// Σ_k s_k (p_k = n_k / Σ_j n_j over the round's clients).
void record_shares(fl::UpdateHistory& history, ShareTracker& shares, const CreamPartition& part) {
  const auto clients = shares.clients();
  int64_t total = 0;
  for (int64_t k : clients) total += static_cast<int64_t>(part.parties[k].items.size());
  for (int64_t k : clients) {
    const auto n = static_cast<int64_t>(part.parties[k].items.size());
    LETHE_CHECK(n > 0, "creamfl: client '{}' holds no examples", part.parties[k].name);
    auto update = shares.share(k);
    for (auto& [name, t] : update) t.mul_(double(total) / double(n));
    history.record(k, update, n);
  }
}

// θ ← θ + Σ_k (filter(s_k) − s_k) over the round's clients' shares s_k.
void filter_shares(models::Clip& server, const ShareTracker& shares, int64_t round, const ShareFilter& filter) {
  TensorMap change;
  for (int64_t k : shares.clients()) {
    const auto share = shares.share(k);
    auto filtered = clone(share);
    filter(round, k, filtered);
    check_same_layout(filtered, share, "creamfl: a filtered share");
    if (change.empty()) change = zeros_like(share);
    add_(change, sub(filtered, share), 1.0);
  }
  torch::NoGradGuard no_grad;
  for (auto& p : server->named_parameters())
    if (auto it = change.find(p.key()); it != change.end()) p.value().add_(it->second.to(p.value().dtype()));
}

}  // namespace

data::Dataset fashion_data(const CreamInputs& in) {
  data::DataConfig c;
  c.name = "fashion-mnist";
  c.image_size = in.data.image_size;
  c.limit = in.cream.fashion_images;
  c.cache = in.data.cache;
  return data::load(c);
}

CreamPartition run_partition(const CreamInputs& in, const data::Dataset& ds, const data::Dataset* fashion,
                             uint64_t seed) {
  std::optional<data::Dataset> loaded;
  if (in.cream.fashion_clients > 0 && !fashion) fashion = &loaded.emplace(fashion_data(in));
  return make_cream_partition(in.cream, in.fl, ds, fashion, seed);
}

nlohmann::json CreamTotals::to_json() const {
  return {{"rounds", rounds},
          {"client_fits", counters.fits},
          {"steps", counters.steps},
          {"public_pairs", public_pairs},
          {"val_pairs", val_pairs},
          {"server_parameters", server_parameters},
          {"clients", clients},
          {"bytes_up", counters.bytes_up},
          {"bytes_down", counters.bytes_down},
          {"representation_bytes", counters.bytes_up + counters.bytes_down},
          {"fedavg_weight_bytes", counters.fedavg_bytes},
          {"final_val_r1", counters.val_r1},
          {"wall_s", wall_s}};
}

CreamTotals train_creamfl(models::Clip& server, const data::Dataset& ds,
                             const torch::Tensor& tokens, const CreamInputs& in,
                             const Context& ctx, const std::string& out_dir,
                             MetricsWriter& metrics, const CreamRunOptions& opts) {
  const auto& probe = opts.probe;
  const Stopwatch clock;
  const auto& cc = in.cream;
  const auto& mc = server->config();
  // Joint distillation: the public epoch is the round's last step (L_CLIP + β·MSE).
  const bool joint = cc.distill_mode == "joint";
  std::optional<data::Dataset> loaded;
  const data::Dataset* fashion = opts.fashion;
  if (cc.fashion_clients > 0 && !fashion) fashion = &loaded.emplace(fashion_data(in));
  const auto part = opts.partition ? *opts.partition : run_partition(in, ds, fashion, ctx.seed());
  const RunFolder run(out_dir);
  write_file_atomic(run.partition(), to_json(part).dump() + "\n");

  PartyShapes shapes;
  shapes.image_size = mc.image_size;
  shapes.embed_dim = mc.embed_dim;
  shapes.vocab_size = mc.vocab_size;
  shapes.context_length = mc.context_length;
  shapes.emoji_classes = part.emoji_classes;
  shapes.fashion_classes = part.fashion_classes;
  std::vector<std::unique_ptr<Party>> parties;
  const int64_t n = static_cast<int64_t>(part.parties.size());
  const int64_t server_params = parameter_count(*server);
  nlohmann::json roster = nlohmann::json::array();
  for (int64_t k = 0; k < n; ++k) {
    parties.push_back(make_party(part.parties[k], cc, shapes, in.train, ds, tokens,
                                 fashion, stream_seed(ctx.seed(), 0, k, Stream::kInit)));
    const int64_t params = parties.back()->num_parameters();
    LETHE_CHECK(params < server_params,
                "creamfl: client '{}' has {} parameters, not fewer than the server's {}: make the "
                "server larger or the clients smaller",
                part.parties[k].name, params, server_params);
    roster.push_back({{"name", part.parties[k].name}, {"kind", kind_name(part.parties[k].kind)},
                      {"examples", part.parties[k].items.size()}, {"parameters", params}});
  }
  PublicSet pub(ds, tokens, part.public_pairs);
  log::info("creamfl: server CLIP ({} parameters), {} public pairs, {} clients ({} paired, {} image, "
            "{} text, {} fashion), aggregation {}, regularisers {}",
            server_params, pub.size(), n, cc.paired_clients, cc.image_clients, cc.text_clients,
            cc.fashion_clients, cc.aggregation, cc.regularizer);

  CreamServer srv(server, ds, tokens, in.train, ctx);
  LocalSettings local;
  local.epochs = in.fl.local_epochs;
  local.max_steps = in.fl.local_steps;
  local.mode = parse_regularizer(cc.regularizer);
  local.reg_weight = cc.reg_weight;
  local.tau = cc.reg_tau;
  local.public_batch = cc.public_batch;
  const auto rule = parse_aggregation(cc.aggregation);
  const int64_t rows = chunk_rows(pub.size(), cc.chunk_bytes_mb << 20);
  const int64_t g_bytes = rep_bytes(pub.size(), mc.embed_dim);

  std::vector<int64_t> everyone(n);
  for (int64_t k = 0; k < n; ++k) everyone[k] = k;
  RunCounters c;
  // The update history (creamfl.client_shares; fl.history_every, fl.sketch_max_rank): each
  // client's share of the server's displacement (shares.h), for the history-based unlearning
  // methods. Replays for unlearning keep none.
  std::optional<fl::UpdateHistory> history;
  std::optional<ShareTracker> shares;
  if (cc.client_shares && opts.history && opts.continue_from.empty() &&
      (in.fl.history_every > 0 || in.fl.sketch_max_rank > 0))
    history.emplace(run.history(), fl::history_options(in.fl));
  if (history || opts.share_filter) {
    shares.emplace(server, srv.optimizer());
    srv.track_shares(&*shares);
  }
  FederationState state{server, srv, parties, c, history ? &*history : nullptr};
  fl::CheckpointStore store(run.checkpoints(), in.fl.keep_checkpoints);
  const auto config = resume_config(in);
  int64_t done = 0;
  if (opts.resume) {
    done = restore_checkpoint(store, ctx.seed(), state, config);
    log::info("creamfl: resuming after round {} from {}", done, store.dir());
  } else if (!opts.continue_from.empty()) {
    LETHE_CHECK(opts.rounds > 0, "creamfl: continuing '{}' needs a number of rounds", opts.continue_from);
    const auto weights = state_dict(*server);  // the caller's server, not the checkpoint's
    done = load_checkpoint(fl::CheckpointStore(opts.continue_from, 0), ctx.seed(), state, config);
    load_state_dict(*server, weights);
    c = RunCounters{};  // this call's rounds only
    log::info("creamfl: {} rounds after round {} of {}", opts.rounds, done, opts.continue_from);
  }
  if (!opts.resume) {
    LETHE_CHECK(!store.latest(),
                "run folder '{}' already holds a CreamFL run (checkpoints/latest): resume it or "
                "choose another --out",
                out_dir);
  }
  const bool more = !opts.continue_from.empty();
  const int64_t first = more ? done : 0;  // rounds before this call's
  const int64_t last = more ? done + opts.rounds : in.fl.rounds;
  const std::set<int64_t> excluded(opts.excluded_clients.begin(), opts.excluded_clients.end());
  for (int64_t r = done + 1; r <= last; ++r) {
    if (probe.before) probe.before(r);
    const Stopwatch round_clock;
    nlohmann::json ev = {{"round", r}};
    const bool keep = history && (history->logs_full(r) || in.fl.sketch_max_rank > 0);
    const bool track = keep || bool(opts.share_filter);
    TensorMap before;  // the history reads it until the round is committed
    if (history || opts.server_filter) before = state_dict(*server, /*trainable_only=*/true);
    if (history) history->begin_round(r, before);
    auto rng = make_engine(ctx.seed(), r, -1, Stream::kShuffle);
    if (cc.server_public_epoch && !joint) ev["public_loss"] = srv.public_epoch(pub, rng);
    auto sampled = n == 0 ? std::vector<int64_t>{}
                          : fl::sample_clients(ctx.seed(), r, everyone,
                                               fl::sample_size(n, in.fl.fraction_fit, in.fl.clients_per_round,
                                                               in.fl.min_fit_clients));
    std::erase_if(sampled, [&](int64_t k) { return excluded.count(k) > 0; });
    if (!sampled.empty()) {
      const auto global = srv.represent(pub);
      RepresentationAggregator img(rule, global.text, pub.units(), rows);
      RepresentationAggregator txt(rule, global.image, pub.units(), rows);
      double task = 0, reg = 0, local_s = 0;
      int64_t up = 0;
      std::vector<TargetPart> parts;
      std::vector<std::pair<int64_t, int64_t>> slots;  // each part's place in img and txt (-1: none)
      for (int64_t k : sampled) {
        auto crng = make_engine(ctx.seed(), r, k, Stream::kShuffle);
        const auto st = parties[k]->train_round(pub, global, local, ctx, crng);
        const auto reps = parties[k]->represent(pub, ctx);
        std::pair<int64_t, int64_t> slot{-1, -1};
        if (reps.image.defined()) {
          slot.first = img.count();
          img.add(reps.image);
          up += g_bytes;
        }
        if (reps.text.defined()) {
          slot.second = txt.count();
          txt.add(reps.text);
          up += g_bytes;
        }
        if (track) parts.push_back({k, reps, {}}), slots.push_back(slot);
        task += st.task_loss, reg += st.reg_loss, local_s += st.train_s, c.steps += st.steps;
      }
      Representations targets;
      if (img.count() > 0) {
        targets.image = img.result();
        ev["target_cos_image"] = target_agreement(targets.image, global.image);
      }
      if (txt.count() > 0) {
        targets.text = txt.result();
        ev["target_cos_text"] = target_agreement(targets.text, global.text);
      }
      for (size_t i = 0; i < parts.size(); ++i) {
        if (slots[i].first >= 0) parts[i].weights.image = img.weights(slots[i].first);
        if (slots[i].second >= 0) parts[i].weights.text = txt.weights(slots[i].second);
      }
      const double beta = cc.distill_beta(r);
      if (track && beta > 0) shares->begin_round(std::move(parts));
      ev["beta"] = beta;
      if (joint)
        ev["public_loss"] = srv.public_epoch(pub, rng, &targets, beta);
      else if (beta > 0)
        ev["distill_loss"] = srv.distill(pub, targets, beta, rng);
      const auto m = static_cast<int64_t>(sampled.size());
      const int64_t down = m * 2 * g_bytes;  // G_I and G_T to every sampled client
      const int64_t fedavg = m * 2 * server_params * int64_t(sizeof(float));
      c.fits += m, c.bytes_up += up, c.bytes_down += down, c.fedavg_bytes += fedavg;
      ev["clients"] = m;
      ev["task_loss"] = task / double(m);
      ev["reg_loss"] = reg / double(m);
      ev["local_s"] = local_s;
      ev["bytes_up"] = up;
      ev["bytes_down"] = down;
      ev["fedavg_bytes"] = fedavg;
      if (track && shares->active()) {
        if (keep) record_shares(*history, *shares, part);
        if (opts.share_filter) filter_shares(server, *shares, r, opts.share_filter);
        shares->begin_round({});
      }
    }
    if (joint && sampled.empty()) ev["public_loss"] = srv.public_epoch(pub, rng);
    if (opts.server_filter) filter_round(server, before, opts.server_filter);
    if (history && sampled.empty()) history->discard_round();
    else if (history) history->commit_round(state_dict(*server, /*trainable_only=*/true));
    if (opts.server_eval && !part.val_pairs.empty()) {
      c.val_r1 = eval::evaluate_pairs(server, ds, tokens, part.val_pairs, ctx).r1;
      ev["val_r1"] = c.val_r1;
    }
    ev["round_s"] = round_clock.seconds();
    if (probe.after) probe.after(r);
    if (r % in.fl.checkpoint_every == 0 || r == last) {
      save_checkpoint(store, r, ctx.seed(), state, config);
      const auto kept = store.rounds();
      if (history && in.fl.keep_checkpoints > 0 && !kept.empty()) history->release(kept.front());
    }
    metrics.write("round", ev);
    log::info("creamfl round {}/{}: {} clients{} ({:.1f} s)", r, last, sampled.size(),
              ev.contains("val_r1") ? fmt::format(", val R@1 {:.2f}", c.val_r1) : "", round_clock.seconds());
  }
  return {.rounds = last - first,
          .counters = c,
          .public_pairs = static_cast<int64_t>(pub.size()),
          .val_pairs = static_cast<int64_t>(part.val_pairs.size()),
          .server_parameters = server_params,
          .clients = roster,
          .wall_s = clock.seconds()};
}

}  // namespace lethe::creamfl
