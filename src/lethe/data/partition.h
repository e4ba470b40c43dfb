#pragma once
// Client partitions of a dataset's training pairs (DATA.md §5), and their manifests.
//
// The partition unit is data::Pair::unit: all pairs of a unit go to the same client (emoji: a
// caption with its images; Karpathy: an image with its captions). by_source is the one
// exception: one client per source means a unit's pairs from different sources (the same
// caption drawn by several vendors) go to different clients; within a client its pairs of one
// unit still stay together.
//
// Every client holds out a local validation split of its units (val_fraction, rounded, at
// least 1 when the fraction is > 0 and the client has ≥ 2 units, never all of them): never
// trained on, it serves stopping rules and as same-distribution non-members.
//
// Manifests (JSON, written atomically) list every client's units and pair ids, so retrain
// references and audits use exactly the same split.
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "lethe/core/registry.h"
#include "lethe/data/dataset.h"

namespace lethe::data {

struct PartitionSpec {
  std::string kind = "iid";        // a name in partitioners()
  int64_t clients = 10;            // by_source: must equal the number of sources
  std::string label = "subgroup";  // dirichlet: label column
  double alpha = 0.3;              // dirichlet concentration
  int64_t min_units = 1;           // every client gets at least this many units (train + val)
  double val_fraction = 0.1;
  uint64_t seed = 0;
};

struct ClientShard {
  std::string name;             // "client_3", or the source for by_source
  std::vector<int64_t> units;   // training units, ascending
  std::vector<int64_t> val_units;
  std::vector<int64_t> train;   // pair ids, ascending
  std::vector<int64_t> val;
};

struct Partition {
  PartitionSpec spec;
  std::string dataset;    // dataset name
  int64_t num_pairs = 0;  // pairs in that dataset (a manifest must match its dataset)
  std::vector<ClientShard> clients;

  int64_t num_clients() const { return static_cast<int64_t>(clients.size()); }
  std::vector<std::vector<int64_t>> train_pairs() const;  // per client
  std::vector<std::vector<int64_t>> val_pairs() const;
};

// Assigns pair ids to clients: returns each client's pairs (any order) and names.
struct Assignment {
  std::vector<std::vector<int64_t>> pairs;
  std::vector<std::string> names;
};
using Partitioner = std::function<Assignment(const Dataset& ds, const std::vector<int64_t>& pair_ids,
                                             const PartitionSpec& spec)>;

// iid, dirichlet, by_source.
Registry<Partitioner>& partitioners();

// Splits `pair_ids` (usually ds.train) with the partitioner spec.kind, then holds out each
// client's validation units. Deterministic in spec.seed. InputError when the spec cannot be
// met (e.g. fewer units than clients × min_units).
Partition make_partition(const Dataset& ds, const std::vector<int64_t>& pair_ids,
                         const PartitionSpec& spec);

void save_partition(const std::string& path, const Partition& p);
// InputError naming the file and the problem for anything malformed.
Partition load_partition(const std::string& path);
// A partition against the dataset it is used with (`source` names the manifest in errors):
// same dataset size, pair ids in range, no pair twice, units as listed and (but for
// by_source) never split across clients.
void check_partition(const Partition& p, const Dataset& ds, const std::string& source);

// Dirichlet(α, …, α) over k categories, from a platform-independent gamma sampler.
std::vector<double> sample_dirichlet(double alpha, int64_t k, std::mt19937_64& engine);

}  // namespace lethe::data
