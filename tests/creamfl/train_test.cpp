// A CreamFL federation end to end through lethe train's entry point (run_experiment): the run
// folder, the rounds' metrics and communication, determinism, the ablations, and bad configs.
#include "lethe/creamfl/train.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/creamfl_tiny.h"
#include "common/test_util.h"
#include "lethe/core/fs.h"
#include "lethe/core/safetensors.h"
#include "lethe/core/tensor_map.h"
#include "lethe/creamfl/public_set.h"
#include "lethe/creamfl/server.h"
#include "lethe/experiment/experiment.h"
#include "lethe/fl/history.h"
#include "lethe/fl/server_state.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/text.h"

namespace lethe::creamfl {
namespace {

using nlohmann::json;
using lethe::testing::expect_input_error;
using lethe::testing::test_temp_dir;

using lethe::testing::kTinyCreamToml;

json run(const std::string& dir, const std::vector<std::string>& overrides = {}) {
  auto cfg = experiment::parse_experiment(kTinyCreamToml, "cream.toml", overrides);
  return experiment::run_experiment(cfg, dir);
}

// `base` followed by `extra`.
std::vector<std::string> overrides(const std::vector<std::string>& base, std::vector<std::string> extra) {
  extra.insert(extra.begin(), base.begin(), base.end());
  return extra;
}

// The server weights a finished run saved.
TensorMap final_weights(const std::filesystem::path& dir) {
  return train::load_checkpoint((dir / "checkpoints/final.safetensors").string()).weights;
}

std::vector<json> events(const std::string& dir, const std::string& kind) {
  std::vector<json> out;
  std::ifstream in(dir + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line);
    if (j["event"] == kind) out.push_back(j);
  }
  return out;
}

TEST(CreamTrain, RoundsReportValidationRecallAndTheirCommunication) {
  const auto dir = test_temp_dir("creamfl").string();
  const auto summary = run(dir);
  const auto part = json::parse(read_file(dir + "/partition.json"));
  const auto n_pub = static_cast<int64_t>(part["public_pairs"].size());
  ASSERT_GT(n_pub, 0);
  ASSERT_EQ(part["parties"].size(), 5u);
  // Public, validation and client data never overlap (emoji-side items are pair, image or
  // caption ids; compare the pair-level ones).
  std::set<int64_t> seen;
  for (auto key : {"public_pairs", "val_pairs"})
    for (int64_t p : part[key]) EXPECT_TRUE(seen.insert(p).second) << p;
  for (const auto& party : part["parties"]) {
    if (party["kind"] != "paired") continue;
    for (int64_t p : party["items"]) EXPECT_TRUE(seen.insert(p).second) << p;
  }

  const auto rounds = events(dir, "round");
  ASSERT_EQ(rounds.size(), 2u);
  const int64_t matrix = n_pub * 32 * 4;  // |P| × embed_dim × fp32
  for (const auto& r : rounds) {
    EXPECT_EQ(r["clients"], 5);
    EXPECT_TRUE(r.contains("val_r1"));
    EXPECT_TRUE(r.contains("public_loss"));
    EXPECT_GT(r["reg_loss"].get<double>(), 0.0);
    // How far the distillation targets lie from the server's own representations.
    for (auto key : {"target_cos_image", "target_cos_text"}) {
      EXPECT_GT(r[key].get<double>(), -1.0) << key;
      EXPECT_LT(r[key].get<double>(), 1.0) << key;
    }
    // Uploads: both modalities from 2 paired clients, one from each uni-modal client.
    EXPECT_EQ(r["bytes_up"], 7 * matrix);
    EXPECT_EQ(r["bytes_down"], 5 * 2 * matrix);
  }
  const auto& t = summary["training"];
  EXPECT_EQ(t["public_pairs"], n_pub);
  EXPECT_LT(t["representation_bytes"].get<int64_t>(), t["fedavg_weight_bytes"].get<int64_t>());
  for (const auto& c : t["clients"])
    EXPECT_LT(c["parameters"].get<int64_t>(), t["server_parameters"].get<int64_t>()) << c;
  EXPECT_TRUE(std::filesystem::exists(dir + "/checkpoints/final.safetensors"));
  EXPECT_TRUE(summary["eval"].contains("test"));
}

TEST(CreamTrain, SameSeedSameServerAndTheSeedMatters) {
  const auto root = test_temp_dir("creamfl");
  const std::vector<std::string> quick = {"fl.rounds=1", "creamfl.fashion_clients=0"};
  run((root / "a").string(), quick);
  run((root / "b").string(), quick);
  auto with_seed = quick;
  with_seed.push_back("run.seed=5");
  run((root / "c").string(), with_seed);
  const auto a = final_weights(root / "a");
  EXPECT_TRUE(lethe::testing::identical(a, final_weights(root / "b")));
  EXPECT_FALSE(lethe::testing::identical(a, final_weights(root / "c")));
}

TEST(CreamTrain, ResumeContinuesToTheSameServerAndRefusesAnotherRun) {
  const auto root = test_temp_dir("creamfl");
  // Three of five clients a round: some parties have no optimiser state at the checkpoint. The
  // update history goes on from the checkpoint's index.
  const std::vector<std::string> base = {"fl.clients_per_round=3", "fl.checkpoint_every=1",
                                         "creamfl.client_shares=true"};
  auto with = [&](std::vector<std::string> extra) { return overrides(base, std::move(extra)); };
  const auto whole = run((root / "whole").string(), with({"fl.rounds=3"}));
  run((root / "part").string(), with({"fl.rounds=1"}));
  auto cfg = experiment::parse_experiment(kTinyCreamToml, "cream.toml", with({"fl.rounds=3"}));
  const auto resumed = experiment::run_experiment(cfg, (root / "part").string(), {.resume = true});
  auto weights = [&](const char* d) {
    return train::load_checkpoint((root / d / "checkpoints/final.safetensors").string()).weights;
  };
  const auto a = weights("whole"), b = weights("part");
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
  for (auto key : {"client_fits", "steps", "representation_bytes", "fedavg_weight_bytes", "final_val_r1"})
    EXPECT_EQ(resumed["training"][key], whole["training"][key]) << key;
  EXPECT_EQ(events((root / "part").string(), "round").size(), 3u);
  const auto h = fl::UpdateHistory::open((root / "part/history").string());
  EXPECT_EQ(h.full_rounds(), (std::vector<int64_t>{1, 2, 3}));
  for (int64_t r : {1, 2, 3}) EXPECT_EQ(h.round_record(r).clients.size(), 3u) << r;

  // Another config, another seed, a folder without a checkpoint, a fresh run over a finished one.
  auto other = experiment::parse_experiment(kTinyCreamToml, "cream.toml", with({"fl.rounds=4", "creamfl.reg_weight=0.9"}));
  expect_input_error([&] { experiment::run_experiment(other, (root / "part").string(), {.resume = true}); },
                     {"creamfl.reg_weight", "was 0.5"});
  other = experiment::parse_experiment(kTinyCreamToml, "cream.toml", with({"fl.rounds=4", "run.seed=3"}));
  expect_input_error([&] { experiment::run_experiment(other, (root / "part").string(), {.resume = true}); },
                     {"seed 0, not 3"});
  expect_input_error([&] { experiment::run_experiment(cfg, (root / "empty").string(), {.resume = true}); },
                     {"no checkpoint"});
  expect_input_error([&] { experiment::run_experiment(cfg, (root / "whole").string()); },
                     {"already holds a run"});
}

// What train_creamfl needs to run more rounds of a finished tiny run: the config (with
// `overrides`), its final checkpoint, the data and the checkpoint's tokens.
struct Finished {
  experiment::ExperimentConfig cfg;
  train::Checkpoint ck;
  data::Dataset ds;
  torch::Tensor tokens;

  CreamInputs inputs() const { return {cfg.creamfl, cfg.fl, cfg.train, cfg.data}; }
};
Finished finished(const std::filesystem::path& run, const std::vector<std::string>& overrides) {
  Finished f{experiment::parse_experiment(kTinyCreamToml, "cream.toml", overrides),
             train::load_checkpoint((run / "checkpoints/final.safetensors").string()), {}, {}};
  f.ds = data::load(f.cfg.data);
  f.tokens = train::encode_text(f.ds, tokenize::BpeTokenizer::from_merges_text(f.ck.merges),
                                f.ck.model.context_length).tokens;
  return f;
}

TEST(CreamTrain, TheHistoryHoldsEachClientsShareOfTheServersUpdate) {
  // Distillation is the server's only loss (separate pass, no public epoch, no weight decay):
  // in round 1 (fresh moments) the clients' shares add up to the server's whole increment.
  const auto root = test_temp_dir("creamfl");
  const std::vector<std::string> base = {"creamfl.distill_mode=separate", "creamfl.server_public_epoch=false",
                                         "train.weight_decay=0", "fl.rounds=2"};
  auto with = [&](std::vector<std::string> extra) { return overrides(base, std::move(extra)); };
  run((root / "kept").string(), with({"creamfl.client_shares=true"}));
  run((root / "none").string(), base);
  // Booking the shares takes extra backward passes, never a different step.
  EXPECT_TRUE(lethe::testing::identical(final_weights(root / "kept"), final_weights(root / "none")));
  EXPECT_FALSE(std::filesystem::exists(root / "none/history/index.json"));

  const auto h = fl::UpdateHistory::open((root / "kept/history").string());
  ASSERT_EQ(h.full_rounds(), (std::vector<int64_t>{1, 2}));
  const auto& rec = h.round_record(1);
  EXPECT_EQ(rec.clients, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  int64_t total = 0;
  for (auto n : rec.num_examples) total += n;
  const auto increment = h.global_increment(1);
  TensorMap sum;
  for (size_t i = 0; i < rec.clients.size(); ++i) {
    const auto u = h.update(1, rec.clients[i]);
    double norm = 0;
    for (const auto& [name, t] : u) {
      const auto part = t * (double(rec.num_examples[i]) / double(total));
      sum[name] = sum.count(name) ? sum[name] + part : part;
      norm += t.pow(2).sum().item<double>();
    }
    EXPECT_GT(norm, 0.0) << "client " << rec.clients[i];
  }
  double diff = 0, ref = 0;
  for (const auto& [name, t] : increment) {
    diff += (sum.at(name) - t).pow(2).sum().item<double>();
    ref += t.pow(2).sum().item<double>();
  }
  EXPECT_GT(ref, 0.0);
  EXPECT_LT(std::sqrt(diff), 1e-4 * std::sqrt(ref));
  EXPECT_FALSE(h.sketched_clients().empty());

  // A share filter (FedEraser's calibration) rewrites each client's share and keeps the rest of
  // the round: one that zeroes every share leaves round 1's server where it started.
  const auto f = finished(root / "kept", with({"creamfl.client_shares=true", "fl.rounds=1"}));
  auto server = train::model_from_checkpoint(f.ck);
  const auto start = h.global_before(1);
  load_state_dict(*server, start, /*strict=*/false);
  const auto out = (root / "zeroed").string();
  MetricsWriter metrics(out + "/metrics.jsonl");
  std::vector<int64_t> seen;
  train_creamfl(server, f.ds, f.tokens, f.inputs(), Context(f.cfg.run.context), out, metrics,
                {.share_filter =
                     [&](int64_t round, int64_t client, TensorMap& share) {
                       EXPECT_EQ(round, 1);
                       EXPECT_EQ(share.size(), start.size());
                       seen.push_back(client);
                       for (auto& [name, t] : share) t.zero_();
                     },
                 .history = false});
  EXPECT_EQ(seen, rec.clients);
  EXPECT_FALSE(std::filesystem::exists(out + "/history")) << "tracking for a filter keeps no history";
  double moved = 0;
  for (const auto& [name, t] : state_dict(*server, /*trainable_only=*/true))
    moved += (t - start.at(name)).pow(2).sum().item<double>();
  EXPECT_LT(std::sqrt(moved), 1e-4 * std::sqrt(ref));
}

TEST(CreamTrain, ContinuingAFinishedRunFromItsServerMatchesALongerRun) {
  // What unlearning's rounds rely on (unlearn/creamfl_replay.h): the parties and optimisers come
  // from the run's last checkpoint, the server's weights from the caller, rounds go on after it.
  const auto root = test_temp_dir("creamfl");
  const std::vector<std::string> base = {"fl.clients_per_round=3"};
  auto with = [&](std::vector<std::string> extra) { return overrides(base, std::move(extra)); };
  run((root / "whole").string(), with({"fl.rounds=3"}));
  run((root / "part").string(), with({"fl.rounds=2"}));
  const auto f = finished(root / "part", with({"fl.rounds=2"}));
  auto server = train::model_from_checkpoint(f.ck);
  const Context ctx(f.cfg.run.context);
  const auto out = (root / "more").string();
  MetricsWriter metrics(out + "/metrics.jsonl");
  const auto totals = train_creamfl(server, f.ds, f.tokens, f.inputs(), ctx, out,
                                    metrics, {.continue_from = (root / "part/checkpoints").string(), .rounds = 1});
  EXPECT_EQ(totals.rounds, 1);
  EXPECT_TRUE(lethe::testing::identical(state_dict(*server), final_weights(root / "whole")));
  const auto more = events(out, "round");
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0]["round"], 3);
  EXPECT_EQ(fl::CheckpointStore((root / "part/checkpoints").string(), 0).latest().value_or(-1), 2) << "the source is untouched";

  // A server filter (EASE's Forget Lock) sees each round's whole displacement: one that zeroes
  // it keeps the server where it started; the filter sees the server's trainable tensors.
  auto held = train::model_from_checkpoint(f.ck);
  const auto start = state_dict(*held);
  int64_t calls = 0;
  MetricsWriter held_metrics((root / "held").string() + "/metrics.jsonl");
  train_creamfl(held, f.ds, f.tokens, f.inputs(), ctx, (root / "held").string(), held_metrics,
                {.continue_from = (root / "part/checkpoints").string(),
                 .rounds = 2,
                 .server_filter = [&](int64_t client, TensorMap& delta) {
                   EXPECT_EQ(client, -1);
                   EXPECT_EQ(delta.size(), start.size());
                   for (auto& [name, t] : delta) t.zero_();
                   ++calls;
                 }});
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(lethe::testing::identical(state_dict(*held), start));
}

TEST(CreamTrain, AblationsRunOnTheSamePipeline) {
  const auto root = test_temp_dir("creamfl");
  const std::vector<std::string> base = {"fl.rounds=1", "creamfl.fashion_clients=0"};
  auto with = [&](std::vector<std::string> extra) { return overrides(base, std::move(extra)); };
  // Representation averaging, the released code's separate pass, no regularisers.
  for (const auto& v : {with({"creamfl.aggregation=average"}), with({"creamfl.regularizer=separate"}),
                        with({"creamfl.regularizer=none"})}) {
    const auto dir = (root / std::to_string(std::hash<std::string>{}(v.back()))).string();
    run(dir, v);
    const auto r = events(dir, "round");
    ASSERT_EQ(r.size(), 1u) << v.back();
    if (v.back() == "creamfl.regularizer=none") EXPECT_EQ(r[0]["reg_loss"], 0.0);
    else EXPECT_GT(r[0]["reg_loss"].get<double>(), 0.0) << v.back();
  }
  // The server on the public set only: no clients, nothing communicated.
  const auto dir = (root / "public_only").string();
  const auto s = run(dir, with({"creamfl.paired_clients=0", "creamfl.image_clients=0",
                                "creamfl.text_clients=0"}));
  EXPECT_EQ(s["training"]["client_fits"], 0);
  EXPECT_EQ(s["training"]["representation_bytes"], 0);
  EXPECT_FALSE(events(dir, "round")[0].contains("distill_loss"));
}

TEST(CreamTrain, DistillationPullsTheServerTowardsItsTargets) {
  auto cfg = experiment::parse_experiment(kTinyCreamToml, "cream.toml");
  auto w = experiment::make_workbench(cfg);
  std::vector<int64_t> pairs(w.ds.train.begin(), w.ds.train.begin() + 64);
  PublicSet pub(w.ds, w.text.tokens, pairs);
  CreamServer srv(w.model, w.ds, w.text.tokens, cfg.train, w.ctx);
  // Targets: the server's own representations, rotated (a fixed, reachable change).
  auto g = srv.represent(pub);
  Representations targets{torch::roll(g.image, 1, 1), torch::roll(g.text, 1, 1)};
  std::mt19937_64 rng(1);
  const double first = srv.distill(pub, targets, 1.0, rng);
  double last = first;
  for (int i = 0; i < 5; ++i) last = srv.distill(pub, targets, 1.0, rng);
  EXPECT_LT(last, 0.8 * first);
}

TEST(CreamTrain, JointDistillationMovesThePublicEpochAndBetaSetsItsPull) {
  // The server's public epochs draw from the same shuffle stream in both modes and the clients
  // reach the server only through β·distillation, so at β = 0 the joint mode's server is the
  // separate mode's to the bit; at β > 0 the clients pull it elsewhere.
  const auto root = test_temp_dir("creamfl");
  const std::vector<std::string> base = {"fl.rounds=2", "creamfl.fashion_clients=0"};
  auto with = [&](std::vector<std::string> extra) { return overrides(base, std::move(extra)); };
  run((root / "separate").string(), with({"creamfl.distill_weight=0"}));
  run((root / "joint0").string(), with({"creamfl.distill_mode=joint", "creamfl.distill_weight=0"}));
  run((root / "joint").string(), with({"creamfl.distill_mode=joint", "creamfl.distill_weight=1"}));
  run((root / "separate1").string(), with({"creamfl.distill_mode=separate", "creamfl.distill_weight=1"}));
  const auto a = final_weights(root / "separate");
  EXPECT_TRUE(lethe::testing::identical(a, final_weights(root / "joint0")));
  EXPECT_FALSE(lethe::testing::identical(a, final_weights(root / "joint")));
  // The joint round reports its public loss (L_CLIP + β·MSE) and no separate distillation; the
  // separate mode reports both.
  for (const auto& r : events((root / "joint").string(), "round")) {
    EXPECT_TRUE(r.contains("public_loss"));
    EXPECT_FALSE(r.contains("distill_loss"));
  }
  for (const auto& r : events((root / "separate1").string(), "round"))
    EXPECT_TRUE(r.contains("public_loss") && r.contains("distill_loss"));
  // A warm-up ramps β from 0: round 1 is the β = 0 run's round, to the bit; round 2 pulls.
  run((root / "warm").string(), with({"creamfl.distill_weight=1", "creamfl.distill_warmup=2"}));
  const auto warm = events((root / "warm").string(), "round"), zero = events((root / "joint0").string(), "round");
  EXPECT_EQ(warm[0]["beta"], 0.0);
  EXPECT_EQ(warm[1]["beta"], 0.5);
  EXPECT_EQ(warm[0]["val_r1"], zero[0]["val_r1"]);
  EXPECT_FALSE(lethe::testing::identical(final_weights(root / "warm"), final_weights(root / "joint0")));
  expect_input_error([&] {
    run((root / "bad").string(), with({"creamfl.distill_mode=joint", "creamfl.server_public_epoch=false"}));
  }, {"distill_mode", "server_public_epoch"});
}

TEST(CreamTrain, BadConfigsAreOneLineErrors) {
  const auto root = test_temp_dir("creamfl");
  expect_input_error([&] { run((root / "big").string(), {"creamfl.paired_width=256"}); },
                     {"paired_0", "not fewer than the server's"});
  expect_input_error([&] { run((root / "label").string(), {"creamfl.class_label=nope"}); },
                     {"nope"});
  expect_input_error(
      [&] { experiment::parse_experiment(kTinyCreamToml, "cream.toml", {"creamfl.aggregation=vote"}); },
      {"creamfl.aggregation"});
}

}  // namespace
}  // namespace lethe::creamfl
