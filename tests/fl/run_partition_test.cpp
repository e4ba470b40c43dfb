#include "lethe/fl/run_partition.h"

#include <gtest/gtest.h>

#include "fl/test_util.h"
#include "lethe/core/fs.h"

namespace lethe::fl {
namespace {

using lethe::testing::expect_input_error;
using lethe::testing::fl_temp_dir;

// 40 units of 2 pairs each (sources "a" and "b"), 4 subgroups.
data::Dataset dataset(int64_t units = 40) {
  data::Dataset ds;
  ds.name = "toy";
  for (int64_t u = 0; u < units; ++u)
    for (const char* src : {"a", "b"}) {
      ds.train.push_back(ds.num_pairs());
      ds.pairs.push_back({ds.num_pairs(), u, u});
      ds.labels["source"].append(src);
      ds.labels["subgroup"].append("g" + std::to_string(u % 4));
    }
  return ds;
}

TEST(RunPartition, MadeOnceThenReadBack) {
  const auto manifest = fl_temp_dir() + "/partition.json";
  FlConfig cfg;
  cfg.clients = 4;
  cfg.partition = "dirichlet";
  const auto ds = dataset();
  const auto made = load_or_make_partition(cfg, 3, ds, manifest);
  ASSERT_TRUE(file_exists(manifest));
  EXPECT_EQ(made.num_clients(), 4);
  EXPECT_EQ(made.spec.seed, 3u);
  const auto bytes = read_file(manifest);
  const auto again = load_or_make_partition(cfg, 3, ds, manifest);
  EXPECT_EQ(again.train_pairs(), made.train_pairs());
  EXPECT_EQ(again.val_pairs(), made.val_pairs());
  EXPECT_EQ(read_file(manifest), bytes);  // read, not rewritten
}

TEST(RunPartition, AManifestMadeOtherwiseIsRefused) {
  const auto manifest = fl_temp_dir() + "/partition.json";
  FlConfig cfg;
  cfg.clients = 4;
  load_or_make_partition(cfg, 3, dataset(), manifest);
  auto other = cfg;
  other.clients = 5;
  expect_input_error([&] { load_or_make_partition(other, 3, dataset(), manifest); },
                     {manifest, "fl.clients = 4", "says 5"});
  expect_input_error([&] { load_or_make_partition(cfg, 4, dataset(), manifest); },
                     {manifest, "seed = 3"});
  expect_input_error([&] { load_or_make_partition(cfg, 3, dataset(41), manifest); },
                     {manifest, "80 pairs", "82"});
}

TEST(RunPartition, SpecFromConfig) {
  FlConfig cfg;
  cfg.partition = "by_source";
  cfg.clients = 3;
  cfg.partition_label = "group";
  cfg.alpha = 0.7;
  cfg.min_units_per_client = 2;
  cfg.val_fraction = 0.2;
  const auto s = partition_spec(cfg, 9);
  EXPECT_EQ(s.kind, "by_source");
  EXPECT_EQ(s.clients, 3);
  EXPECT_EQ(s.label, "group");
  EXPECT_DOUBLE_EQ(s.alpha, 0.7);
  EXPECT_EQ(s.min_units, 2);
  EXPECT_DOUBLE_EQ(s.val_fraction, 0.2);
  EXPECT_EQ(s.seed, 9u);
}

}  // namespace
}  // namespace lethe::fl
