#include "lethe/fl/history.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fl/test_util.h"
#include "lethe/core/fs.h"

namespace lethe::fl {
namespace {

using lethe::testing::expect_input_error;
using lethe::testing::fl_temp_dir;
using lethe::testing::identical;
namespace fsys = std::filesystem;

TensorMap model(float v) {
  return {{"bias", torch::full({4}, v)}, {"weight", torch::full({4, 3}, v)}};
}

// A rank-1 update u·vᵀ scaled by s (plus a bias).
TensorMap rank_one(const torch::Tensor& u, float s) {
  return {{"bias", torch::full({4}, s)}, {"weight", s * torch::outer(u, torch::ones({3}))}};
}

HistoryOptions opts(int64_t every, int64_t rank = 8, int64_t budget = 0) {
  HistoryOptions o;
  o.every = every;
  o.sketch = {0.97, rank};
  o.budget_bytes = budget;
  return o;
}

// Runs one round: clients answer with updates rank_one(e_client, 1 + client).
void round(UpdateHistory& h, int64_t t, TensorMap& global, const std::vector<int64_t>& clients) {
  h.begin_round(t, global);
  for (int64_t c : clients)
    h.record(c, rank_one(torch::eye(4)[c % 4], float(1 + c)), 10 + c);
  auto next = add(global, model(0.5f));
  h.commit_round(next);
  global = next;
}

TEST(History, RoundTripOfFullRecordsAndSketches) {
  const auto dir = fl_temp_dir() + "/history";
  UpdateHistory h(dir, opts(2));
  auto global = model(0);
  round(h, 1, global, {0, 2});
  round(h, 2, global, {1});
  round(h, 3, global, {0, 1});
  EXPECT_TRUE(h.logs_full(1));
  EXPECT_FALSE(h.logs_full(2));
  EXPECT_EQ(h.full_rounds(), (std::vector<int64_t>{1, 3}));

  auto r = UpdateHistory::open(dir);  // a reader, from index.json alone
  EXPECT_EQ(r.last_round(), 3);
  EXPECT_EQ(r.full_rounds(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(r.round_record(3).clients, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(r.round_record(3).num_examples, (std::vector<int64_t>{10, 11}));
  EXPECT_TRUE(identical(r.global_before(1), model(0)));
  EXPECT_TRUE(identical(r.global_before(3), model(1)));
  EXPECT_TRUE(identical(r.global_increment(3), model(0.5f)));
  EXPECT_TRUE(identical(r.update(1, 2), rank_one(torch::eye(4)[2], 3)));
  expect_input_error([&] { r.update(3, 2); }, {"client 2 did not answer in round 3"});
  expect_input_error([&] { r.global_before(2); }, {"no full record of round 2"});

  // Client 0 answered twice with the same direction e_0: its sketch stays rank 1 along e_0.
  EXPECT_EQ(r.sketched_clients(), (std::vector<int64_t>{0, 1, 2}));
  auto s0 = r.sketch(0);
  ASSERT_EQ(s0.count("weight"), 1u);
  EXPECT_FALSE(s0.count("bias"));  // only 2-D tensors are sketched
  EXPECT_EQ(r.sketch_ranks(0).at("weight"), 1);
  const auto& w = s0.at("weight");
  EXPECT_NEAR(std::abs(w[0][0].item<float>()), std::sqrt(2 * 3.0f), 1e-4);  // ‖[ΔW, ΔW]‖ along e_0
  EXPECT_NEAR(w.slice(0, 1).abs().max().item<float>(), 0, 1e-5);
  EXPECT_TRUE(r.sketch(7).empty());

  const auto u = r.usage();
  EXPECT_GT(u.full_bytes, 0);
  EXPECT_GT(u.sketch_bytes, 0);
  EXPECT_EQ(r.bytes_used(), u.full_bytes + u.sketch_bytes);
}

TEST(History, DiscardedRoundsLeaveNoTrace) {
  const auto dir = fl_temp_dir() + "/history";
  UpdateHistory h(dir, opts(1));
  auto global = model(0);
  round(h, 1, global, {0});
  const auto before = h.index();
  h.begin_round(2, global);
  h.record(0, rank_one(torch::eye(4)[1], 1), 5);
  h.record(1, rank_one(torch::eye(4)[1], 1), 5);
  h.discard_round();
  EXPECT_EQ(h.index(), before);
  EXPECT_FALSE(fsys::exists(dir + "/round_0002"));
  EXPECT_FALSE(fsys::exists(dir + "/sketches/client_0001"
                                  "/round_0002.safetensors"));
  EXPECT_EQ(h.sketch_ranks(0).at("weight"), 1);  // client 0's sketch is the round-1 one
}

TEST(History, NoFullRecordsOrNoSketches) {
  const auto dir = fl_temp_dir();
  UpdateHistory none(dir + "/a", opts(0, 0));
  auto global = model(0);
  round(none, 1, global, {0, 1});
  EXPECT_TRUE(none.full_rounds().empty());
  EXPECT_TRUE(none.sketched_clients().empty());
  EXPECT_EQ(none.bytes_used(), 0);
}

TEST(History, CorruptOrTruncatedFilesAreNamed) {
  const auto dir = fl_temp_dir() + "/history";
  UpdateHistory h(dir, opts(1));
  auto global = model(0);
  round(h, 1, global, {0, 1});
  const auto update_file = dir + "/round_0001/client_0001.safetensors";
  const auto bytes = read_file(update_file);
  {
    std::ofstream f(update_file, std::ios::binary | std::ios::trunc);
    f << bytes.substr(0, bytes.size() / 2);
  }
  expect_input_error([&] { UpdateHistory::open(dir); }, {update_file, "truncated or replaced"});
  expect_input_error([&] { h.update(1, 1); }, {update_file});
  fsys::remove(update_file);
  expect_input_error([&] { UpdateHistory::open(dir); }, {update_file, "missing"});
  {
    std::ofstream f(dir + "/index.json", std::ios::trunc);
    f << "{\"version\": 1, \"round\": ";
  }
  expect_input_error([&] { UpdateHistory::open(dir); }, {dir + "/index.json", "not valid JSON"});
  write_file_atomic(dir + "/index.json", "{\"version\": 1}");
  expect_input_error([&] { UpdateHistory::open(dir); }, {dir + "/index.json", "malformed"});
}

TEST(History, SameSizeCorruptionIsCaughtWhenRead) {
  const auto dir = fl_temp_dir() + "/history";
  UpdateHistory h(dir, opts(1));
  auto global = model(0);
  round(h, 1, global, {0});
  const auto file = dir + "/round_0001/global.safetensors";
  auto bytes = read_file(file);
  bytes[3] = '\x7f';  // the header length now points past the end of the file
  write_file_atomic(file, bytes);
  expect_input_error([&] { h.global_before(1); }, {file});
}

TEST(History, BudgetDropsOldestFullRounds) {
  const auto dir = fl_temp_dir() + "/history";
  // Measure one round's size, then allow about two and a half rounds.
  int64_t per_round = 0, sketches = 0;
  {
    UpdateHistory probe(fl_temp_dir() + "/probe", opts(1));
    auto g = model(0);
    round(probe, 1, g, {0, 1});
    per_round = probe.usage().full_bytes;
    sketches = probe.usage().sketch_bytes;
  }
  UpdateHistory h(dir, opts(1, 8, sketches + per_round * 5 / 2));
  auto global = model(0);
  for (int64_t t = 1; t <= 4; ++t) round(h, t, global, {0, 1});
  EXPECT_EQ(h.full_rounds(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(h.dropped_rounds(), (std::vector<int64_t>{1, 2}));
  EXPECT_FALSE(fsys::exists(dir + "/round_0001"));
  EXPECT_LE(h.bytes_used(), sketches + per_round * 5 / 2);
  expect_input_error([&] { h.global_before(1); }, {"round 1", "dropped"});

  UpdateHistory tiny(fl_temp_dir() + "/tiny", opts(1, 8, 10));
  auto g = model(0);
  expect_input_error([&] { round(tiny, 1, g, {0}); },
                     {"sketches alone", "fl.history_budget_mb", "fl.sketch_max_rank"});
}

TEST(History, RestoreDeletesWhatALaterRoundWrote) {
  const auto dir = fl_temp_dir() + "/history";
  UpdateHistory h(dir, opts(1));
  auto global = model(0);
  round(h, 1, global, {0});
  const auto at_round_1 = h.index();
  round(h, 2, global, {0, 1});
  // Round 3 was interrupted after writing some files.
  h.begin_round(3, global);
  h.record(2, rank_one(torch::eye(4)[2], 1), 5);

  UpdateHistory again(dir, opts(1));
  again.restore(at_round_1, "checkpoint.json");
  EXPECT_EQ(again.last_round(), 1);
  EXPECT_EQ(again.full_rounds(), (std::vector<int64_t>{1}));
  EXPECT_FALSE(fsys::exists(dir + "/round_0002"));
  EXPECT_FALSE(fsys::exists(dir + "/round_0003"));
  EXPECT_FALSE(fsys::exists(dir + "/sketches/client_0000/round_0002.safetensors"));
  EXPECT_TRUE(fsys::exists(dir + "/sketches/client_0000/round_0001.safetensors"));
  EXPECT_EQ(UpdateHistory::open(dir).index(), at_round_1);  // index.json rewritten
}

TEST(History, ReleaseKeepsWhatKeptCheckpointsNeed) {
  const auto dir = fl_temp_dir() + "/history";
  UpdateHistory h(dir, opts(0));
  auto global = model(0);
  for (int64_t t = 1; t <= 3; ++t) round(h, t, global, {0});
  const auto v = [&](int t) {
    return fsys::exists(fmt::format("{}/sketches/client_0000/round_{:04}.safetensors", dir, t));
  };
  EXPECT_TRUE(v(1) && v(2) && v(3));
  h.release(2);  // a checkpoint of round 2 still needs version 2
  EXPECT_FALSE(v(1));
  EXPECT_TRUE(v(2) && v(3));
  h.release(3);
  EXPECT_FALSE(v(2));
  EXPECT_TRUE(v(3));
  EXPECT_TRUE(h.index().at("superseded").empty());
}

}  // namespace
}  // namespace lethe::fl
