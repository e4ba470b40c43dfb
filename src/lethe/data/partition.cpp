#include "lethe/data/partition.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/rng.h"
#include "lethe/core/strings.h"

namespace lethe::data {

namespace {
using nlohmann::json;
constexpr int kManifestVersion = 1;

// unit → its pairs among pair_ids (ascending unit, pairs ascending).
std::map<int64_t, std::vector<int64_t>> group_by_unit(const Dataset& ds,
                                                      const std::vector<int64_t>& pair_ids) {
  std::map<int64_t, std::vector<int64_t>> units;
  for (int64_t p : pair_ids) {
    LETHE_CHECK(p >= 0 && p < ds.num_pairs(), "pair {} is out of range: dataset '{}' has {} pairs",
                p, ds.name, ds.num_pairs());
    units[ds.pairs[p].unit].push_back(p);
  }
  for (auto& [u, ps] : units) std::sort(ps.begin(), ps.end());
  return units;
}

void check_enough(int64_t units, const PartitionSpec& spec) {
  LETHE_CHECK(units >= spec.clients * std::max<int64_t>(spec.min_units, 1),
              "partition '{}': {} units cannot give {} clients {} unit(s) each", spec.kind, units,
              spec.clients, std::max<int64_t>(spec.min_units, 1));
}

// log Gamma(shape, 1) variate: Marsaglia–Tsang for shape ≥ 1, boosted by U^{1/shape} below 1
// (in logs, so tiny α does not underflow every component to 0).
double standard_normal(std::mt19937_64& engine) {
  const double u1 = 1.0 - uniform01(engine);  // (0, 1]
  const double u2 = uniform01(engine);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double log_gamma_variate(double shape, std::mt19937_64& engine) {
  if (shape < 1.0) {
    const double u = 1.0 - uniform01(engine);
    return log_gamma_variate(shape + 1.0, engine) + std::log(u) / shape;
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    const double x = standard_normal(engine);
    double v = 1.0 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const double u = 1.0 - uniform01(engine);
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return std::log(d * v);
  }
}

Assignment iid(const Dataset& ds, const std::vector<int64_t>& pair_ids, const PartitionSpec& spec) {
  const auto units = group_by_unit(ds, pair_ids);
  check_enough(static_cast<int64_t>(units.size()), spec);
  std::vector<const std::vector<int64_t>*> order;
  for (const auto& [u, ps] : units) order.push_back(&ps);
  auto engine = make_engine(spec.seed, 0, -1, Stream::kPartition);
  const auto perm = permutation(static_cast<int64_t>(order.size()), engine);
  // Contiguous chunks of the shuffled units: sizes differ by at most one.
  Assignment a;
  a.pairs.resize(spec.clients);
  const auto n = static_cast<int64_t>(order.size());
  for (int64_t i = 0; i < n; ++i) {
    auto& dst = a.pairs[i * spec.clients / n];
    const auto& src = *order[perm[i]];
    dst.insert(dst.end(), src.begin(), src.end());
  }
  return a;
}

Assignment dirichlet(const Dataset& ds, const std::vector<int64_t>& pair_ids,
                     const PartitionSpec& spec) {
  const auto units = group_by_unit(ds, pair_ids);
  check_enough(static_cast<int64_t>(units.size()), spec);
  const auto& col = ds.label_column(spec.label);
  // Units by category, in ascending unit id.
  std::vector<std::vector<int64_t>> by_category(col.names.size());
  for (const auto& [u, ps] : units) {
    const auto c = col.of_pair[ps.front()];
    for (int64_t p : ps)
      LETHE_CHECK(col.of_pair[p] == c,
                  "partition 'dirichlet': label '{}' differs within unit {} ('{}' for pair {}, "
                  "'{}' for pair {}); choose a label that is constant per unit",
                  spec.label, u, col.names[c], ps.front(), col.names[col.of_pair[p]], p);
    by_category[c].push_back(u);
  }
  auto engine = make_engine(spec.seed, 0, -1, Stream::kPartition);
  const auto k = spec.clients;
  std::vector<std::vector<int64_t>> owned(k);  // units per client
  for (auto& cat_units : by_category) {
    if (cat_units.empty()) continue;
    const auto perm = permutation(static_cast<int64_t>(cat_units.size()), engine);
    const auto share = sample_dirichlet(spec.alpha, k, engine);
    // Client j takes the shuffled units in [round(n·P_{j−1}), round(n·P_j)), P the cumsum.
    const auto n = static_cast<double>(cat_units.size());
    double cum = 0;
    int64_t begin = 0;
    for (int64_t j = 0; j < k; ++j) {
      cum += share[j];
      const auto end = j + 1 == k ? static_cast<int64_t>(cat_units.size())
                                  : std::min<int64_t>(std::llround(n * cum), cat_units.size());
      for (int64_t i = begin; i < end; ++i) owned[j].push_back(cat_units[perm[i]]);
      begin = std::max(begin, end);
    }
  }
  // The minimum: the poorest client (lowest id on ties) takes a random unit from the richest
  // until every client has min_units. Terminates: units ≥ clients × min_units.
  while (true) {
    auto poor = std::min_element(owned.begin(), owned.end(),
                                 [](const auto& a, const auto& b) { return a.size() < b.size(); });
    if (static_cast<int64_t>(poor->size()) >= std::max<int64_t>(spec.min_units, 1)) break;
    auto rich = std::max_element(owned.begin(), owned.end(),
                                 [](const auto& a, const auto& b) { return a.size() < b.size(); });
    const auto i = static_cast<int64_t>(uniform_index(rich->size(), engine));
    poor->push_back((*rich)[i]);
    rich->erase(rich->begin() + i);
  }
  Assignment a;
  a.pairs.resize(k);
  for (int64_t j = 0; j < k; ++j)
    for (int64_t u : owned[j]) {
      const auto& ps = units.at(u);
      a.pairs[j].insert(a.pairs[j].end(), ps.begin(), ps.end());
    }
  return a;
}

Assignment by_source(const Dataset& ds, const std::vector<int64_t>& pair_ids,
                     const PartitionSpec& spec) {
  const auto& col = ds.label_column("source");
  std::map<int32_t, std::vector<int64_t>> by_src;  // category index order = dataset order
  for (int64_t p : pair_ids) {
    LETHE_CHECK(p >= 0 && p < ds.num_pairs(), "pair {} is out of range: dataset '{}' has {} pairs",
                p, ds.name, ds.num_pairs());
    by_src[col.of_pair[p]].push_back(p);
  }
  std::vector<std::string> names;
  for (const auto& [c, ps] : by_src) names.push_back(col.names[c]);
  LETHE_CHECK(static_cast<int64_t>(by_src.size()) == spec.clients,
              "partition 'by_source' makes one client per source: the pairs have {} sources ({}) "
              "but {} clients were asked for",
              by_src.size(), join(names, ", "), spec.clients);
  Assignment a;
  for (auto& [c, ps] : by_src) {
    std::set<int64_t> units;
    for (int64_t p : ps) units.insert(ds.pairs[p].unit);
    LETHE_CHECK(static_cast<int64_t>(units.size()) >= spec.min_units,
                "partition 'by_source': source '{}' has {} units, fewer than the minimum {}",
                col.names[c], units.size(), spec.min_units);
    a.pairs.push_back(std::move(ps));
  }
  a.names = std::move(names);
  return a;
}

// Holds out round(val_fraction · units) of a client's units (at least 1 when the fraction is
// > 0 and there are ≥ 2, never all).
ClientShard make_shard(const Dataset& ds, std::vector<int64_t> pairs, int64_t client,
                       const PartitionSpec& spec) {
  const auto units = group_by_unit(ds, pairs);
  const auto n = static_cast<int64_t>(units.size());
  int64_t n_val = 0;
  if (spec.val_fraction > 0 && n >= 2)
    n_val = std::clamp<int64_t>(std::llround(spec.val_fraction * double(n)), 1, n - 1);
  auto engine = make_engine(spec.seed, 0, client, Stream::kPartition);
  const auto perm = permutation(n, engine);
  std::vector<bool> is_val(n, false);
  for (int64_t i = 0; i < n_val; ++i) is_val[perm[i]] = true;
  ClientShard s;
  s.name = fmt::format("client_{}", client);
  int64_t i = 0;
  for (const auto& [u, ps] : units) {
    auto& unit_list = is_val[i] ? s.val_units : s.units;
    auto& pair_list = is_val[i] ? s.val : s.train;
    unit_list.push_back(u);
    pair_list.insert(pair_list.end(), ps.begin(), ps.end());
    ++i;
  }
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.val.begin(), s.val.end());
  return s;
}

template <class T>
T field(const json& j, const char* key, const std::string& path, const std::string& where) {
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw InputError(fmt::format("partition manifest '{}': {} has no valid '{}'", path, where, key));
  }
}
}  // namespace

std::vector<std::vector<int64_t>> Partition::train_pairs() const {
  std::vector<std::vector<int64_t>> out;
  for (const auto& c : clients) out.push_back(c.train);
  return out;
}

std::vector<std::vector<int64_t>> Partition::val_pairs() const {
  std::vector<std::vector<int64_t>> out;
  for (const auto& c : clients) out.push_back(c.val);
  return out;
}

namespace {

void add_builtin_partitioners(Registry<Partitioner>& r) {
  r.add("iid", "units shuffled and dealt into equal shares", iid);
  r.add("dirichlet", "per-label client shares from Dirichlet(alpha), with a per-client minimum",
        dirichlet);
  r.add("by_source", "one client per source (emoji vendor)", by_source);
}

}  // namespace

Registry<Partitioner>& partitioners() {
  static Registry<Partitioner> registry("partitioner", add_builtin_partitioners);
  return registry;
}

std::vector<double> sample_dirichlet(double alpha, int64_t k, std::mt19937_64& engine) {
  LETHE_ASSERT(alpha > 0 && k >= 1);
  std::vector<double> logs(k);
  for (auto& l : logs) l = log_gamma_variate(alpha, engine);
  const double top = *std::max_element(logs.begin(), logs.end());
  double total = 0;
  for (auto& l : logs) total += (l = std::exp(l - top));
  for (auto& l : logs) l /= total;
  return logs;
}

Partition make_partition(const Dataset& ds, const std::vector<int64_t>& pair_ids,
                         const PartitionSpec& spec) {
  LETHE_CHECK(spec.clients >= 1, "a partition needs at least one client, got {}", spec.clients);
  LETHE_CHECK(spec.val_fraction >= 0 && spec.val_fraction < 1,
              "partition validation fraction {} is not in [0, 1)", spec.val_fraction);
  auto assignment = partitioners().get(spec.kind).factory(ds, pair_ids, spec);
  LETHE_ASSERT(static_cast<int64_t>(assignment.pairs.size()) == spec.clients);
  Partition p;
  p.spec = spec;
  p.dataset = ds.name;
  p.num_pairs = ds.num_pairs();
  for (int64_t c = 0; c < spec.clients; ++c) {
    p.clients.push_back(make_shard(ds, std::move(assignment.pairs[c]), c, spec));
    if (!assignment.names.empty()) p.clients.back().name = assignment.names[c];
  }
  return p;
}

void save_partition(const std::string& path, const Partition& p) {
  json clients = json::array();
  for (const auto& c : p.clients)
    clients.push_back({{"name", c.name}, {"units", c.units}, {"val_units", c.val_units},
                       {"train", c.train}, {"val", c.val}});
  json j = {{"version", kManifestVersion},
            {"dataset", p.dataset},
            {"num_pairs", p.num_pairs},
            {"kind", p.spec.kind},
            {"clients_requested", p.spec.clients},
            {"label", p.spec.label},
            {"alpha", p.spec.alpha},
            {"min_units", p.spec.min_units},
            {"val_fraction", p.spec.val_fraction},
            {"seed", p.spec.seed},
            {"clients", clients}};
  write_file_atomic(path, j.dump() + "\n");
}

Partition load_partition(const std::string& path) {
  json j;
  try {
    j = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw InputError(fmt::format("partition manifest '{}' is not valid JSON: {}", path, e.what()));
  }
  LETHE_CHECK(j.is_object(), "partition manifest '{}' is not a JSON object", path);
  const auto version = field<int>(j, "version", path, "the manifest");
  LETHE_CHECK(version == kManifestVersion, "partition manifest '{}' has version {}, expected {}",
              path, version, kManifestVersion);
  Partition p;
  p.dataset = field<std::string>(j, "dataset", path, "the manifest");
  p.num_pairs = field<int64_t>(j, "num_pairs", path, "the manifest");
  p.spec.kind = field<std::string>(j, "kind", path, "the manifest");
  p.spec.clients = field<int64_t>(j, "clients_requested", path, "the manifest");
  p.spec.label = field<std::string>(j, "label", path, "the manifest");
  p.spec.alpha = field<double>(j, "alpha", path, "the manifest");
  p.spec.min_units = field<int64_t>(j, "min_units", path, "the manifest");
  p.spec.val_fraction = field<double>(j, "val_fraction", path, "the manifest");
  p.spec.seed = field<uint64_t>(j, "seed", path, "the manifest");
  LETHE_CHECK(j.contains("clients") && j["clients"].is_array(),
              "partition manifest '{}' has no 'clients' array", path);
  std::set<int64_t> seen;
  for (size_t i = 0; i < j["clients"].size(); ++i) {
    const auto& c = j["clients"][i];
    const auto where = fmt::format("client {}", i);
    ClientShard s;
    s.name = field<std::string>(c, "name", path, where);
    s.units = field<std::vector<int64_t>>(c, "units", path, where);
    s.val_units = field<std::vector<int64_t>>(c, "val_units", path, where);
    s.train = field<std::vector<int64_t>>(c, "train", path, where);
    s.val = field<std::vector<int64_t>>(c, "val", path, where);
    for (const auto* ids : {&s.train, &s.val})
      for (int64_t id : *ids) {
        LETHE_CHECK(id >= 0 && id < p.num_pairs,
                    "partition manifest '{}': {} lists pair {}, outside 0..{}", path, where, id,
                    p.num_pairs - 1);
        LETHE_CHECK(seen.insert(id).second, "partition manifest '{}': pair {} is listed twice",
                    path, id);
      }
    p.clients.push_back(std::move(s));
  }
  LETHE_CHECK(!p.clients.empty(), "partition manifest '{}' lists no clients", path);
  return p;
}

void check_partition(const Partition& p, const Dataset& ds, const std::string& source) {
  LETHE_CHECK(p.num_pairs == ds.num_pairs(),
              "partition manifest '{}' was made for a dataset of {} pairs; '{}' has {}", source,
              p.num_pairs, ds.name, ds.num_pairs());
  const bool per_source = p.spec.kind == "by_source";
  // (unit, client if per_source) → (client, split): a unit lives in one place.
  std::map<std::pair<int64_t, int64_t>, std::pair<int64_t, int>> owner;
  std::set<int64_t> seen;
  for (int64_t c = 0; c < p.num_clients(); ++c) {
    const auto& s = p.clients[c];
    for (int split = 0; split < 2; ++split) {
      const auto& pairs = split == 0 ? s.train : s.val;
      const auto& units = split == 0 ? s.units : s.val_units;
      std::set<int64_t> listed(units.begin(), units.end()), actual;
      for (int64_t id : pairs) {
        LETHE_CHECK(id >= 0 && id < ds.num_pairs(),
                    "partition manifest '{}': pair {} is out of range", source, id);
        LETHE_CHECK(seen.insert(id).second, "partition manifest '{}': pair {} is listed twice",
                    source, id);
        actual.insert(ds.pairs[id].unit);
      }
      LETHE_CHECK(listed == actual,
                  "partition manifest '{}': the {} units of client {} do not match its pairs",
                  source, split == 0 ? "training" : "validation", c);
      for (int64_t u : actual) {
        auto [it, fresh] = owner.emplace(std::pair{u, per_source ? c : int64_t{-1}}, std::pair{c, split});
        LETHE_CHECK((fresh || it->second == std::pair{c, split}),
                    "partition manifest '{}': unit {} is split between client {} ({}) and client "
                    "{} ({})",
                    source, u, it->second.first, it->second.second == 0 ? "train" : "val", c,
                    split == 0 ? "train" : "val");
      }
    }
  }
}

}  // namespace lethe::data
