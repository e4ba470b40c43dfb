#include "lethe/data/partition.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "data/test_util.h"
#include "lethe/core/fs.h"
#include "lethe/core/rng.h"

namespace lethe::data {
namespace {

using lethe::testing::expect_input_error;

// `units` captions, each drawn by every source (one pair per source), subgroup = unit % 5.
Dataset dataset(int64_t units = 60, std::vector<std::string> sources = {"google", "twitter", "facebook"}) {
  Dataset ds;
  ds.name = "toy";
  for (int64_t u = 0; u < units; ++u)
    for (const auto& src : sources) {
      ds.train.push_back(ds.num_pairs());
      ds.pairs.push_back({ds.num_pairs(), u, u});
      ds.labels["source"].append(src);
      ds.labels["subgroup"].append("s" + std::to_string(u % 5));
    }
  return ds;
}

PartitionSpec spec(std::string kind, int64_t clients) {
  PartitionSpec s;
  s.kind = std::move(kind);
  s.clients = clients;
  s.seed = 1;
  return s;
}

// Every pair exactly once; units never split (across clients or train/val); val never empty.
void expect_sound(const Partition& p, const Dataset& ds, bool units_whole = true) {
  std::set<int64_t> seen;
  std::map<int64_t, std::pair<int64_t, bool>> unit_home;
  for (int64_t c = 0; c < p.num_clients(); ++c)
    for (bool val : {false, true})
      for (int64_t id : val ? p.clients[c].val : p.clients[c].train) {
        EXPECT_TRUE(seen.insert(id).second) << "pair " << id << " twice";
        if (!units_whole) continue;
        auto [it, fresh] = unit_home.emplace(ds.pairs[id].unit, std::pair{c, val});
        EXPECT_TRUE(fresh || it->second == std::pair(c, val)) << "unit " << ds.pairs[id].unit << " split";
      }
  EXPECT_EQ(seen.size(), ds.train.size());
  EXPECT_NO_THROW(check_partition(p, ds, "test"));
}

TEST(Partition, IidSharesDifferByAtMostOneUnit) {
  const auto ds = dataset(63);
  auto s = spec("iid", 10);
  s.val_fraction = 0;
  const auto p = make_partition(ds, ds.train, s);
  ASSERT_EQ(p.num_clients(), 10);
  for (const auto& c : p.clients) {
    EXPECT_GE(c.units.size(), 6u);
    EXPECT_LE(c.units.size(), 7u);
    EXPECT_EQ(c.train.size(), 3 * c.units.size());  // three sources per unit, together
    EXPECT_TRUE(c.val.empty());
  }
  expect_sound(p, ds);
  EXPECT_EQ(p.clients[0].name, "client_0");
}

TEST(Partition, ValidationSplitIsHeldOutPerClient) {
  const auto ds = dataset(100);
  auto s = spec("iid", 5);
  s.val_fraction = 0.1;
  const auto p = make_partition(ds, ds.train, s);
  for (const auto& c : p.clients) {
    EXPECT_EQ(c.val_units.size(), 2u);  // 10% of 20 units
    EXPECT_EQ(c.units.size(), 18u);
    EXPECT_EQ(c.val.size(), 6u);
  }
  expect_sound(p, ds);
  // A client with 2 units still validates on one; a client with 1 never loses its only unit.
  const auto tiny = dataset(3);
  s.clients = 2;
  const auto q = make_partition(tiny, tiny.train, s);
  EXPECT_EQ(q.clients[0].val_units.size() + q.clients[1].val_units.size(), 1u);
  EXPECT_FALSE(q.clients[0].units.empty());
  EXPECT_FALSE(q.clients[1].units.empty());
}

TEST(Partition, DirichletIsSkewedDeterministicAndRespectsTheMinimum) {
  const auto ds = dataset(200);
  auto s = spec("dirichlet", 8);
  s.label = "subgroup";
  s.alpha = 0.1;
  s.min_units = 6;
  s.val_fraction = 0;
  const auto p = make_partition(ds, ds.train, s);
  const auto q = make_partition(ds, ds.train, s);
  EXPECT_EQ(p.train_pairs(), q.train_pairs());
  for (const auto& c : p.clients) EXPECT_GE(c.units.size(), 6u);
  expect_sound(p, ds);
  // α = 0.1 concentrates each subgroup on few clients: most clients miss some subgroup.
  int64_t missing = 0;
  for (const auto& c : p.clients) {
    std::set<int64_t> groups;
    for (int64_t u : c.units) groups.insert(u % 5);
    missing += groups.size() < 5;
  }
  EXPECT_GE(missing, 4);
  s.seed = 2;
  EXPECT_NE(make_partition(ds, ds.train, s).train_pairs(), p.train_pairs());
  // Large α: close to equal shares.
  s.alpha = 1000;
  s.min_units = 1;
  for (const auto& c : make_partition(ds, ds.train, s).clients) EXPECT_NEAR(double(c.units.size()), 25, 8);
}

TEST(Partition, DirichletErrors) {
  auto ds = dataset(20);
  auto s = spec("dirichlet", 8);
  s.min_units = 3;
  expect_input_error([&] { make_partition(ds, ds.train, s); }, {"20 units", "8 clients", "3 unit"});
  s.min_units = 1;
  s.label = "source";  // varies within a unit
  expect_input_error([&] { make_partition(ds, ds.train, s); },
                     {"label 'source' differs within unit 0", "constant per unit"});
  s.label = "colour";
  expect_input_error([&] { make_partition(ds, ds.train, s); }, {"no label 'colour'"});
  s.kind = "dirichlet2";
  expect_input_error([&] { make_partition(ds, ds.train, s); },
                     {"unknown partitioner 'dirichlet2'", "did you mean 'dirichlet'"});
}

TEST(Partition, BySourceMakesOneClientPerSource) {
  const auto ds = dataset(30);
  auto s = spec("by_source", 3);
  const auto p = make_partition(ds, ds.train, s);
  ASSERT_EQ(p.num_clients(), 3);
  EXPECT_EQ(p.clients[0].name, "google");
  EXPECT_EQ(p.clients[2].name, "facebook");
  for (int64_t c = 0; c < 3; ++c) {
    EXPECT_EQ(p.clients[c].train.size() + p.clients[c].val.size(), 30u);
    for (int64_t id : p.clients[c].train) EXPECT_EQ(ds.label("source", id), p.clients[c].name);
  }
  expect_sound(p, ds, /*units_whole=*/false);
  s.clients = 4;
  expect_input_error([&] { make_partition(ds, ds.train, s); },
                     {"one client per source", "3 sources (google, twitter, facebook)", "4 clients"});
}

TEST(Partition, ManifestRoundTrip) {
  const auto dir = lethe::testing::temp_dir();
  const auto ds = dataset(50);
  auto s = spec("dirichlet", 4);
  s.alpha = 0.5;
  const auto p = make_partition(ds, ds.train, s);
  const auto path = (dir / "partition.json").string();
  save_partition(path, p);
  const auto q = load_partition(path);
  EXPECT_EQ(q.spec.kind, "dirichlet");
  EXPECT_EQ(q.spec.clients, 4);
  EXPECT_DOUBLE_EQ(q.spec.alpha, 0.5);
  EXPECT_EQ(q.spec.seed, 1u);
  EXPECT_EQ(q.dataset, "toy");
  EXPECT_EQ(q.num_pairs, ds.num_pairs());
  ASSERT_EQ(q.num_clients(), 4);
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_EQ(q.clients[c].name, p.clients[c].name);
    EXPECT_EQ(q.clients[c].units, p.clients[c].units);
    EXPECT_EQ(q.clients[c].val_units, p.clients[c].val_units);
    EXPECT_EQ(q.clients[c].train, p.clients[c].train);
    EXPECT_EQ(q.clients[c].val, p.clients[c].val);
  }
  check_partition(q, ds, path);
}

TEST(Partition, CorruptManifestsAreNamed) {
  const auto dir = lethe::testing::temp_dir();
  const auto ds = dataset(20);
  const auto p = make_partition(ds, ds.train, spec("iid", 2));
  const auto path = (dir / "partition.json").string();
  save_partition(path, p);
  const auto text = read_file(path);

  write_file_atomic(path, text.substr(0, text.size() / 2));
  expect_input_error([&] { load_partition(path); }, {path, "not valid JSON"});
  write_file_atomic(path, "[1, 2]");
  expect_input_error([&] { load_partition(path); }, {path, "not a JSON object"});
  auto j = nlohmann::json::parse(text);
  j.erase("seed");
  write_file_atomic(path, j.dump());
  expect_input_error([&] { load_partition(path); }, {path, "'seed'"});
  j = nlohmann::json::parse(text);
  j["clients"][1]["train"].push_back(j["clients"][0]["train"][0]);
  write_file_atomic(path, j.dump());
  expect_input_error([&] { load_partition(path); }, {path, "listed twice"});
  j = nlohmann::json::parse(text);
  j["clients"][0]["val"].push_back(999);
  write_file_atomic(path, j.dump());
  expect_input_error([&] { load_partition(path); }, {path, "pair 999", "outside"});
  j = nlohmann::json::parse(text);
  j["clients"][0]["train"] = "all";
  write_file_atomic(path, j.dump());
  expect_input_error([&] { load_partition(path); }, {path, "client 0", "'train'"});
  expect_input_error([&] { load_partition(path + ".missing"); }, {path + ".missing"});

  // Well-formed but not this dataset's, or with a unit split between clients.
  auto q = p;
  expect_input_error([&] { check_partition(q, dataset(21), "m.json"); }, {"m.json", "60 pairs", "63"});
  const int64_t moved = q.clients[0].train.back();
  q.clients[0].train.pop_back();
  q.clients[1].train.push_back(moved);
  q.clients[1].units.push_back(ds.pairs[moved].unit);
  std::sort(q.clients[1].units.begin(), q.clients[1].units.end());
  expect_input_error([&] { check_partition(q, ds, "m.json"); }, {"m.json", "split between client 0"});
  q = p;
  q.clients[0].units.push_back(999);
  expect_input_error([&] { check_partition(q, ds, "m.json"); }, {"m.json", "units of client 0"});
}

TEST(Dirichlet, SamplesAreOnTheSimplexWithTheRightMean) {
  auto engine = make_engine(3, 0, 0, Stream::kPartition);
  std::vector<double> mean(4, 0.0);
  for (int i = 0; i < 4000; ++i) {
    const auto p = sample_dirichlet(0.5, 4, engine);
    double sum = 0;
    for (int k = 0; k < 4; ++k) {
      EXPECT_GE(p[k], 0.0);
      sum += p[k];
      mean[k] += p[k] / 4000;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
  }
  for (double m : mean) EXPECT_NEAR(m, 0.25, 0.02);
  // A tiny α puts nearly all mass on one component, without underflowing to 0/0.
  const auto spiky = sample_dirichlet(1e-3, 5, engine);
  EXPECT_GT(*std::max_element(spiky.begin(), spiky.end()), 0.9);
  EXPECT_FALSE(std::isnan(spiky[0]));
}

}  // namespace
}  // namespace lethe::data
