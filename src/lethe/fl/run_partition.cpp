#include "lethe/fl/run_partition.h"

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"

namespace lethe::fl {

data::PartitionSpec partition_spec(const FlConfig& cfg, uint64_t seed) {
  data::PartitionSpec s;
  s.kind = cfg.partition;
  s.clients = cfg.clients;
  s.label = cfg.partition_label;
  s.alpha = cfg.alpha;
  s.min_units = cfg.min_units_per_client;
  s.val_fraction = cfg.val_fraction;
  s.seed = seed;
  return s;
}

data::Partition load_or_make_partition(const FlConfig& cfg, uint64_t seed, const data::Dataset& ds,
                                       const std::string& manifest) {
  const auto want = partition_spec(cfg, seed);
  if (!file_exists(manifest)) {
    auto p = data::make_partition(ds, ds.train, want);
    data::save_partition(manifest, p);
    return p;
  }
  auto p = data::load_partition(manifest);
  const auto& got = p.spec;
  auto differs = [&](const char* key, const std::string& was, const std::string& now) {
    LETHE_CHECK(was == now, "partition manifest '{}' was made with {} = {}, the config says {}",
                manifest, key, was, now);
  };
  differs("fl.partition", got.kind, want.kind);
  differs("fl.clients", std::to_string(got.clients), std::to_string(want.clients));
  differs("fl.min_units_per_client", std::to_string(got.min_units), std::to_string(want.min_units));
  differs("fl.val_fraction", fmt::format("{}", got.val_fraction), fmt::format("{}", want.val_fraction));
  differs("seed", std::to_string(got.seed), std::to_string(want.seed));
  if (want.kind == "dirichlet") {
    differs("fl.partition_label", got.label, want.label);
    differs("fl.alpha", fmt::format("{}", got.alpha), fmt::format("{}", want.alpha));
  }
  data::check_partition(p, ds, manifest);
  log::info("using the partition in '{}' ({} clients)", manifest, p.num_clients());
  return p;
}

}  // namespace lethe::fl
