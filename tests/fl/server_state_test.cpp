#include "lethe/fl/server_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fl/test_util.h"
#include "lethe/core/fs.h"
#include "lethe/core/strings.h"

namespace lethe::fl {
namespace {

using lethe::testing::expect_input_error;
using lethe::testing::fl_temp_dir;
using lethe::testing::identical;
namespace fsys = std::filesystem;

ServerState state(int64_t round) {
  ServerState s;
  s.round = round;
  s.seed = 11;
  s.num_clients = 4;
  s.global = {{"w", torch::full({2, 3}, float(round))}, {"b", torch::arange(3).to(torch::kFloat32)}};
  s.strategy_name = "fedadam";
  s.strategy.tensors = {{"m/w", torch::ones({2, 3})}, {"v/w", torch::full({2, 3}, 1e-6f)}};
  s.strategy.meta = {{"steps", round}};
  s.extras["lock"] = {{{"E", torch::eye(3)}}, {{"tau", 65}}};
  s.history = {{"round", round}};
  s.config = {{"rounds", 10}};
  s.counters = {{"bytes_up", 123}};
  return s;
}

TEST(CheckpointStore, RoundTrip) {
  CheckpointStore store(fl_temp_dir() + "/checkpoints", 0);
  EXPECT_FALSE(store.latest());
  store.save(state(3));
  ASSERT_EQ(store.latest(), 3);
  auto s = store.load(3);
  const auto want = state(3);
  EXPECT_EQ(s.round, 3);
  EXPECT_EQ(s.seed, 11u);
  EXPECT_EQ(s.num_clients, 4);
  EXPECT_TRUE(identical(s.global, want.global));
  EXPECT_EQ(s.strategy_name, "fedadam");
  EXPECT_TRUE(identical(s.strategy.tensors, want.strategy.tensors));
  EXPECT_EQ(s.strategy.meta, want.strategy.meta);
  ASSERT_EQ(s.extras.count("lock"), 1u);
  EXPECT_TRUE(identical(s.extras.at("lock").tensors, want.extras.at("lock").tensors));
  EXPECT_EQ(s.extras.at("lock").meta, want.extras.at("lock").meta);
  EXPECT_EQ(s.history, want.history);
  EXPECT_EQ(s.config, want.config);
  EXPECT_EQ(s.counters, want.counters);
}

TEST(CheckpointStore, KeepsTheNewestAndPointsAtTheLast) {
  const auto dir = fl_temp_dir() + "/checkpoints";
  CheckpointStore store(dir, 2);
  for (int64_t r = 0; r <= 4; ++r) store.save(state(r));
  EXPECT_EQ(store.rounds(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(store.latest(), 4);
  EXPECT_FALSE(fsys::exists(dir + "/round_0002.safetensors"));
  EXPECT_EQ(trim(read_file(dir + "/latest")), "round_0004");
  store.remove_after(3);
  EXPECT_EQ(store.rounds(), (std::vector<int64_t>{3}));
  EXPECT_EQ(store.latest(), 3);
}

TEST(CheckpointStore, CorruptionIsNamedAndThePreviousStateStillLoads) {
  const auto dir = fl_temp_dir() + "/checkpoints";
  CheckpointStore store(dir, 0);
  store.save(state(1));
  store.save(state(2));
  const auto tensors = store.tensors_path(2);
  auto bytes = read_file(tensors);
  bytes[bytes.size() - 1] ^= 0x55;  // a flipped bit in the weights
  write_file_atomic(tensors, bytes);
  expect_input_error([&] { store.load(2); }, {tensors, "corrupt or truncated"});
  write_file_atomic(tensors, bytes.substr(0, bytes.size() / 2));
  expect_input_error([&] { store.load(2); }, {tensors, "corrupt or truncated"});
  fsys::remove(tensors);
  expect_input_error([&] { store.load(2); }, {tensors, "missing"});

  const auto json = store.json_path(2);
  write_file_atomic(json, read_file(json).substr(0, 30));
  expect_input_error([&] { store.load(2); }, {json, "not valid JSON"});
  write_file_atomic(json, "{\"format\": 1, \"round\": 2}");
  expect_input_error([&] { store.load(2); }, {json, "malformed"});
  write_file_atomic(json, read_file(store.json_path(1)));
  expect_input_error([&] { store.load(2); }, {json, "holds round 1, not 2"});

  EXPECT_TRUE(identical(store.load(1).global, state(1).global));  // the previous good state

  write_file_atomic(dir + "/latest", "garbage\n");
  expect_input_error([&] { store.latest(); }, {dir + "/latest", "corrupt", "garbage"});
}

TEST(CheckpointStore, ExtraKeysMustBePlain) {
  CheckpointStore store(fl_temp_dir() + "/checkpoints", 0);
  auto s = state(1);
  s.extras["a/b"] = {};
  expect_input_error([&] { store.save(s); }, {"'a/b'", "no '/'"});
}

struct SmallConfig {
  int64_t rounds = 3;
  std::string name = "x";
  std::vector<std::string> list = {"a"};
  template <class V>
  void visit(V& v) {
    v("rounds", rounds, "");
    v("name", name, "");
    v("list", list, "");
  }
};

TEST(ConfigJson, FlatKeyValue) {
  SmallConfig cfg;
  EXPECT_EQ(config_json(cfg), (nlohmann::json{{"rounds", 3}, {"name", "x"}, {"list", {"a"}}}));
}

}  // namespace
}  // namespace lethe::fl
