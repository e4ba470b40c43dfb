#include "lethe/experiment/federated.h"

#include <set>

#include "lethe/core/log.h"
#include "lethe/core/run_folder.h"
#include "lethe/eval/embed.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/fl/federation.h"
#include "lethe/fl/run_partition.h"
#include "lethe/fl/simulation.h"
#include "lethe/strategies/registry.h"
#include "lethe/train/central.h"

namespace lethe::experiment {

ClientData client_data(const ExperimentConfig& cfg, const data::Dataset& ds, const std::string& run_dir) {
  auto part = fl::load_or_make_partition(cfg.fl, cfg.run.context.seed, ds, RunFolder(run_dir).partition());
  return {part.train_pairs(), part.val_pairs()};
}

nlohmann::json FederationResult::to_json() const {
  auto j = totals.to_json();
  j["history_bytes"] = history_bytes;
  return j;
}

FederationResult run_federation(models::Clip& model, const data::Dataset& ds,
                              const torch::Tensor& tokens, const ClientData& clients,
                              const ExperimentConfig& cfg, const Context& ctx,
                              const std::string& dir, MetricsWriter& metrics,
                              const FederationOptions& opts) {
  auto strategy = strategies::strategies().get(cfg.fl.strategy).factory(cfg.fl);
  ClipClient client(model, ds, tokens, clients.train, clients.val, cfg.train, ctx,
                    cfg.fl.client_optimizer == "keep");
  std::unique_ptr<fl::Transport> transport =
      opts.transport ? opts.transport(clients, ctx)
                     : std::make_unique<fl::SimulationTransport>(client, cfg.fl, ctx.seed());
  fl::Federation fed(cfg.fl, *strategy, *transport, clients.num_clients(), dir, ctx.seed(), &metrics);
  if (!opts.excluded_clients.empty()) fed.set_excluded_clients(opts.excluded_clients);
  // LoRA: the history sketches the column space of each adapter's B·A (thin QR, sketch.h).
  if (cfg.model.lora_rank > 0) fed.set_module_deltas(fl::lora_deltas("lora_A", "lora_B"));

  // Server-side evaluation on a fixed gallery drawn from the clients' validation pairs (never
  // trained on, never the test split).
  std::vector<int64_t> val;
  std::set<int64_t> excluded(opts.excluded_clients.begin(), opts.excluded_clients.end());
  for (int64_t k = 0; k < clients.num_clients(); ++k)
    if (!excluded.count(k)) val.insert(val.end(), clients.val[k].begin(), clients.val[k].end());
  std::sort(val.begin(), val.end());
  auto gallery = train::sample_units(ds, val, cfg.eval.val_units, ctx.seed());
  if (opts.evaluation) {
    fed.set_server_evaluation(opts.evaluation);
  } else if (opts.server_eval && gallery.size() >= 2) {
    fed.set_server_evaluation([&](int64_t, const TensorMap& global) {
      load_parameters(model, global);
      auto b = eval::evaluate_pairs(model, ds, tokens, gallery, ctx);
      return std::map<std::string, double>{{"val_r1", b.r1}, {"val_gallery", double(b.gallery)}};
    });
  }
  if (opts.resume) {
    fed.resume();
  } else {
    if (!opts.lock.empty()) fed.set_forget_lock(opts.lock);
    fed.start(trainable_parameters(model));
  }
  const RunScope scope{cfg, ctx, model, ds, tokens, clients, dir};
  fed.run(opts.rounds > 0 ? std::optional<int64_t>(opts.rounds) : std::nullopt,
          [&](const fl::RoundSummary&) {
            if (opts.between_rounds) opts.between_rounds(fed, scope);
          });
  load_parameters(model, fed.global());
  return {fed.totals(), fed.history().bytes_used()};
}

nlohmann::json train_federated(models::Clip& model, const data::Dataset& ds,
                               const torch::Tensor& tokens, const ExperimentConfig& cfg,
                               const Context& ctx, const std::string& out_dir,
                               MetricsWriter& metrics, const RunOptions& opts) {
  auto clients = client_data(cfg, ds, out_dir);
  log::info("federation: {} clients, strategy {}, {} rounds x {} local epochs", clients.num_clients(),
            cfg.fl.strategy, cfg.fl.rounds, cfg.fl.local_epochs);
  return run_federation(model, ds, tokens, clients, cfg, ctx, out_dir, metrics,
                        {.resume = opts.resume,
                         .transport = opts.transport,
                         .between_rounds = opts.between_rounds})
      .to_json();
}

}  // namespace lethe::experiment
