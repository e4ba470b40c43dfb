// Unlearning a CreamFL run (creamfl_replay.h): the holders the frame sees, a client request whose
// retrain reference replays the federation without the client and whose methods continue the
// run's own federation, a concept request that also leaves the public set, requests on the
// Fashion-MNIST client's images, and what is refused.
#include "lethe/unlearn/creamfl_replay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "common/creamfl_tiny.h"
#include "common/test_util.h"
#include "lethe/core/fs.h"
#include "lethe/data/append.h"
#include "lethe/unlearn/audit.h"
#include "lethe/unlearn/contribution.h"
#include "lethe/unlearn/session.h"

namespace lethe::unlearn {
namespace {

using nlohmann::json;
using lethe::testing::expect_input_error;

// One CreamFL run for the whole suite (its retrain references are cached in its folder).
class CreamflUnlearning : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* root = std::getenv("LETHE_TEST_TMP");
    dir_ = (std::filesystem::path(root ? root : std::filesystem::temp_directory_path().c_str()) /
            ("unlearn_creamfl_run_" + std::to_string(::getpid())))
               .string();
    std::filesystem::remove_all(dir_);
    cfg_ = experiment::parse_experiment(lethe::testing::kTinyCreamToml, "cream.toml", {"creamfl.client_shares=true"});
    experiment::run_experiment(cfg_, dir_);
  }
  static Audit unlearn(const std::string& request, const std::vector<std::string>& methods,
                      const std::string& out, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> overrides = {"unlearn.finetune_rounds=1", "unlearn.ascent_steps=4",
                                          "unlearn.audit_folds=2"};
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    return std::get<Audit>(run_unlearning(
        {.run_dir = dir_, .request = request, .methods = methods, .out_dir = out, .overrides = overrides, .report = false}));
  }
  static std::vector<json> rounds(const std::string& metrics) {
    std::vector<json> out;
    std::ifstream in(metrics);
    for (std::string line; std::getline(in, line);)
      if (auto j = json::parse(line); j["event"] == "round") out.push_back(j);
    return out;
  }
  static inline std::string dir_;
  static inline experiment::ExperimentConfig cfg_;
};

TEST_F(CreamflUnlearning, HoldersAreTheClientsPairsThenThePublicSet) {
  const auto ds = data::load(cfg_.data);
  const auto fashion = creamfl_fashion(cfg_);
  ASSERT_TRUE(fashion);
  const auto holders = creamfl_holders(cfg_, ds, &*fashion, dir_);
  const auto part = json::parse(read_file(dir_ + "/partition.json"));
  ASSERT_EQ(holders.num_clients(), 6);  // 5 clients + P
  EXPECT_EQ(json(holders.train[0]), part["parties"][0]["items"]);
  std::set<int64_t> images(part["parties"][2]["items"].begin(), part["parties"][2]["items"].end());
  ASSERT_FALSE(holders.train[2].empty());
  for (int64_t p : holders.train[2]) EXPECT_TRUE(images.count(ds.pairs[p].image));
  // The Fashion-MNIST client holds its images' pairs, named after the emoji pairs.
  const auto both = data::append(ds, *fashion);
  ASSERT_EQ(holders.train[4].size(), part["parties"][4]["items"].size());
  for (size_t i = 0; i < holders.train[4].size(); ++i) {
    const int64_t p = holders.train[4][i];
    EXPECT_EQ(both.pairs[p].image, ds.num_images() + part["parties"][4]["items"][i].get<int64_t>());
    EXPECT_EQ(both.label("class", p), fashion->label("class", p - ds.num_pairs()));
  }
  EXPECT_EQ(json(holders.train[5]), part["public_pairs"]);
  for (int64_t k : {0, 1, 2, 3, 5}) EXPECT_EQ(json(holders.val[k]), part["val_pairs"]) << "the server's gallery is an emoji holder's probe";
  ASSERT_EQ(holders.val[4].size(), fashion->test.size()) << "Fashion-MNIST's test images are its client's probe";
  for (int64_t p : holders.val[4]) EXPECT_EQ(both.label("source", p), "fashion-mnist");

  // A partition.json that is not the one the config makes is refused.
  const auto copy = lethe::testing::test_temp_dir("unlearn");
  std::filesystem::copy_file(dir_ + "/config.toml", copy / "config.toml");
  auto bad = part;
  bad["public_pairs"].erase(bad["public_pairs"].begin());
  write_file_atomic((copy / "partition.json").string(), bad.dump());
  expect_input_error([&] { creamfl_holders(cfg_, ds, &*fashion, copy.string()); }, {"partition.json", "not the partition"});
}

TEST_F(CreamflUnlearning, ClientRequestReplaysTheFederationWithoutTheClient) {
  const auto out = lethe::testing::test_temp_dir("unlearn");
  const auto audit = unlearn("client:0", {"finetune", "ga"}, out.string());
  const auto part = json::parse(read_file(dir_ + "/partition.json"));
  EXPECT_EQ(audit.forget_size, static_cast<int64_t>(part["parties"][0]["items"].size()));
  EXPECT_NE(audit.reference.weights_sha256, audit.original.weights_sha256);
  // The reference: every round of the run, all five clients sampled and client 0 dropped.
  const auto ref = rounds(dir_ + "/unlearn/retrain-" + audit.manifest_sha256.substr(0, 12) +
                          "/metrics.jsonl");
  ASSERT_EQ(ref.size(), 2u);
  for (const auto& r : ref) EXPECT_EQ(r["clients"], 4);
  // finetune continues the run's federation: its one round is round 3, without client 0.
  const auto ft_rounds = rounds(out.string() + "/work/finetune/metrics.jsonl");
  ASSERT_EQ(ft_rounds.size(), 1u);
  EXPECT_EQ(ft_rounds[0]["round"], 3);
  EXPECT_EQ(ft_rounds[0]["clients"], 4);
  const auto& ft = audit.method("finetune");
  EXPECT_NE(ft.weights_sha256, audit.original.weights_sha256);
  EXPECT_GT(ft.cost.local_steps, 0);
  EXPECT_EQ(ft.cost.rounds, 1);
  for (const auto* m : {"finetune", "ga"})  // measured against the reference
    EXPECT_DOUBLE_EQ(audit.method(m).gap.forget_r1,
                     std::abs(audit.method(m).model.forget.r1 - audit.reference.model.forget.r1)) << m;
  EXPECT_TRUE(file_exists(out.string() + "/ga.safetensors"));
  // ga's stopping rule probes the server's validation gallery (no client holds one), so it has a
  // ρ to stop at instead of running to the step cap.
  const auto& ga = audit.method("ga").details;
  ASSERT_EQ(ga["holders"].size(), 1u);
  EXPECT_EQ(ga["holders"][0]["stop"], "holdout") << ga;
  EXPECT_FALSE(ga["proxy_r1"].is_null()) << ga;
}

TEST_F(CreamflUnlearning, ConceptRequestAlsoLeavesThePublicSet) {
  const auto out = lethe::testing::test_temp_dir("unlearn");
  // The step budget, so that ga moves the tiny server whatever its probes say.
  const auto audit = unlearn("concept:red", {"ga"}, out.string(), {"unlearn.stop=budget"});
  const auto manifest = json::parse(read_file(out.string() + "/manifest.json"));
  const std::set<int64_t> forget(manifest["forget"].begin(), manifest["forget"].end());
  const auto part = json::parse(read_file(dir_ + "/partition.json"));
  int64_t public_forgotten = 0;
  for (int64_t p : part["public_pairs"]) public_forgotten += forget.count(p);
  ASSERT_GT(public_forgotten, 0) << "P holds red shapes";
  EXPECT_NE(std::find(manifest["holders"].begin(), manifest["holders"].end(), 5), manifest["holders"].end());
  // The reference trained on a partition without them: P and every paired client.
  const auto replay = json::parse(read_file(dir_ + "/unlearn/retrain-" +
                                            audit.manifest_sha256.substr(0, 12) +
                                            "/run/partition.json"));
  EXPECT_EQ(replay["public_pairs"].size(), part["public_pairs"].size() - public_forgotten);
  for (int64_t p : replay["public_pairs"]) EXPECT_FALSE(forget.count(p));
  for (int64_t p : replay["parties"][0]["items"]) EXPECT_FALSE(forget.count(p));
  EXPECT_NE(audit.method("ga").weights_sha256, audit.original.weights_sha256);
}

TEST_F(CreamflUnlearning, HistoryMethodsRunOnTheClientsSharesOfTheServersUpdates) {
  const auto out = lethe::testing::test_temp_dir("unlearn");
  const auto audit = unlearn("client:1", {"history-subtraction", "fedrecovery", "pga", "ease"}, out.string());
  const auto& hs = audit.method("history-subtraction");
  ASSERT_EQ(hs.details["targets"].size(), 1u);
  const auto& target = hs.details["targets"][0];
  EXPECT_EQ(target["client"], 1);
  EXPECT_EQ(target["rounds"], json({1, 2}));  // client 1's share of both rounds
  EXPECT_GT(target["subtracted_norm"].get<double>(), 0.0);
  EXPECT_GT(hs.cost.history_bytes_read, 0);
  // Its recovery round continues the run's federation without client 1.
  const auto rec = rounds(out.string() + "/work/history-subtraction/metrics.jsonl");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0]["round"], 3);
  EXPECT_EQ(rec[0]["clients"], 4);
  const auto& fr = audit.method("fedrecovery");
  EXPECT_NE(fr.weights_sha256, audit.original.weights_sha256);
  EXPECT_EQ(fr.cost.local_steps, 0) << "FedRecovery needs no client computation";
  // PGA: w_ref from client 1's share of the last round, then client 1 ascends inside the ball.
  const auto& pga = audit.method("pga").details;
  ASSERT_EQ(pga["w_ref"].size(), 1u);
  EXPECT_EQ(pga["w_ref"][0]["round"], 2);
  EXPECT_EQ(pga["w_ref"][0]["answered"], 5);
  ASSERT_EQ(pga["holders"].size(), 1u);
  EXPECT_LE(pga["distance_to_ref"].get<double>(), pga["delta"].get<double>() * (1 + 1e-6));
  // EASE: the GSD from the clients' sketches of their shares, the excision of client 1's, and
  // its recovery round under the Forget Lock (applied to the server's round).
  const auto& ease = audit.method("ease");
  EXPECT_FALSE(ease.details["gsd"]["modules"].empty()) << ease.details["gsd"];
  EXPECT_GT(ease.details["lock"]["directions"].get<int64_t>(), 0) << ease.details["lock"];
  const auto ease_rounds = rounds(out.string() + "/work/ease/metrics.jsonl");
  ASSERT_EQ(ease_rounds.size(), 1u);
  EXPECT_EQ(ease_rounds[0]["clients"], 4);
}

TEST_F(CreamflUnlearning, FedEraserReplaysTheRunWithEachSharesStoredNorms) {
  const auto out = lethe::testing::test_temp_dir("unlearn");
  const auto audit = unlearn("client:1", {"federaser"}, out.string());
  const auto& fe = audit.method("federaser");
  EXPECT_NE(fe.weights_sha256, audit.original.weights_sha256);
  EXPECT_GT(fe.cost.history_bytes_read, 0);
  // The run replayed from θ^0: rounds 1 and 2 with fresh clients, client 1 dropped.
  const auto replay = rounds(out.string() + "/work/federaser/metrics.jsonl");
  ASSERT_EQ(replay.size(), 2u);
  for (int64_t r = 0; r < 2; ++r) {
    EXPECT_EQ(replay[r]["round"], r + 1);
    EXPECT_EQ(replay[r]["clients"], 4);
  }
  // Every retained client's fresh share takes its stored share's norm (per tensor, so overall).
  HistoryReader h(dir_, "test");
  const auto& shares = fe.details["calibrated_shares"];
  ASSERT_EQ(shares.size(), 8u);
  bool rescaled = false;
  for (const auto& s : shares) {
    const int64_t t = s["round"], k = s["client"];
    EXPECT_NE(k, 1);
    const double stored = norm(h.update(t, k)) * h.weight(t, k);
    EXPECT_NEAR(s["calibrated_norm"].get<double>(), stored, 1e-4 * stored) << s;
    rescaled |= std::abs(s["fresh_norm"].get<double>() - stored) > 1e-3 * stored;
  }
  EXPECT_TRUE(rescaled) << "without client 1 the ensemble's targets, and so the shares, differ";
}

TEST_F(CreamflUnlearning, AFashionMnistClientLeavesAndItsReferenceNeverSawItsImages) {
  const auto out = lethe::testing::test_temp_dir("unlearn");
  const auto audit = unlearn("client:4", {"finetune", "ga"}, out.string());
  const auto part = json::parse(read_file(dir_ + "/partition.json"));
  EXPECT_EQ(audit.forget_size, static_cast<int64_t>(part["parties"][4]["items"].size()));
  const auto ds = data::load(cfg_.data);
  const auto manifest = json::parse(read_file(out.string() + "/manifest.json"));
  for (int64_t p : manifest["forget"]) ASSERT_GE(p, ds.num_pairs()) << "Fashion-MNIST pairs follow the emoji ones";
  // The reference: both rounds with the five clients sampled and client 4 dropped.
  const auto ref = rounds(dir_ + "/unlearn/retrain-" + audit.manifest_sha256.substr(0, 12) +
                          "/metrics.jsonl");
  ASSERT_EQ(ref.size(), 2u);
  for (const auto& r : ref) EXPECT_EQ(r["clients"], 4);
  EXPECT_NE(audit.reference.weights_sha256, audit.original.weights_sha256);
  // The audit retrieves among Fashion-MNIST images and captions (class-level: ten classes).
  EXPECT_GT(audit.original.model.forget.gallery, audit.original.model.forget.captions);
  // ga at the Fashion-MNIST holder: ascent on its captioned images, probed with Fashion-MNIST's test images.
  const auto& ga = audit.method("ga").details;
  ASSERT_EQ(ga["holders"].size(), 1u);
  EXPECT_EQ(ga["holders"][0]["stop"], "holdout") << ga;
  EXPECT_NE(audit.method("ga").weights_sha256, audit.original.weights_sha256);
  EXPECT_EQ(audit.method("finetune").cost.rounds, 1);
}

TEST_F(CreamflUnlearning, AClassOfFashionMnistLeavesItsClientAndTheAuditComparesLikeWithLike) {
  const auto out = lethe::testing::test_temp_dir("unlearn");
  const auto audit = unlearn("concept:bag", {"finetune"}, out.string());
  const auto ds = data::load(cfg_.data);
  const auto fashion = creamfl_fashion(cfg_);
  const auto manifest = json::parse(read_file(out.string() + "/manifest.json"));
  const std::set<int64_t> forget(manifest["forget"].begin(), manifest["forget"].end());
  ASSERT_FALSE(forget.empty());
  for (int64_t p : forget) EXPECT_EQ(fashion->label("class", p - ds.num_pairs()), "bag");
  EXPECT_EQ(manifest["holders"], json({4}));
  // The reference's Fashion-MNIST client trained without its bags, and kept every other image.
  const auto part = json::parse(read_file(dir_ + "/partition.json"));
  const auto replay = json::parse(read_file(dir_ + "/unlearn/retrain-" +
                                            audit.manifest_sha256.substr(0, 12) +
                                            "/run/partition.json"));
  EXPECT_EQ(replay["parties"][4]["items"].size() + forget.size(), part["parties"][4]["items"].size());
  for (int64_t i : replay["parties"][4]["items"]) EXPECT_NE(fashion->label("class", i), "bag");
  EXPECT_EQ(replay["public_pairs"], part["public_pairs"]);
  EXPECT_EQ(replay["parties"][0]["items"], part["parties"][0]["items"]);

  // D_f is Fashion-MNIST: its retained pairs and non-members are Fashion-MNIST's too.
  const auto both = data::append(ds, *fashion);
  const auto holders = creamfl_holders(cfg_, ds, &*fashion, dir_);
  const auto fs = make_forget_set(parse_request("concept:bag"), both, holders, 0);
  const torch::Tensor tokens;
  const TensorMap weights;
  const models::ClipConfig model_cfg;
  UnlearnConfig ucfg;
  const Context ctx(cfg_.run.context);
  const UnlearnInputs in{cfg_, ctx, both, tokens, holders, fs, weights, model_cfg, ucfg, dir_, "", &ds};
  const auto sets = make_audit_sets(in);
  const std::set<int64_t> test(holders.val[4].begin(), holders.val[4].end());
  ASSERT_FALSE(sets.members.empty());
  for (int64_t p : sets.members) EXPECT_TRUE(is_appended(in, p) && !forget.count(p) && !test.count(p)) << p;
  for (int64_t p : sets.nonmembers) EXPECT_TRUE(test.count(p)) << p;
  for (int64_t p : sets.auc_retain) EXPECT_TRUE(is_appended(in, p)) << p;
  for (const auto& fold : sets.retain)
    for (int64_t p : fold) EXPECT_TRUE(is_appended(in, p)) << p;
  for (const auto& fold : sets.test)
    for (int64_t p : fold) EXPECT_FALSE(is_appended(in, p)) << "the test folds stay the server's own data";
  // The run's only Fashion-MNIST client leaves: no Fashion-MNIST pair is retained, so the AUC
  // ranks D_f against Fashion-MNIST's test images and the rest compares with the emoji data.
  const auto whole = make_forget_set(parse_request("client:4"), both, holders, 0);
  const UnlearnInputs in_whole{cfg_, ctx, both, tokens, holders, whole, weights, model_cfg, ucfg, dir_, "", &ds};
  const auto whole_sets = make_audit_sets(in_whole);
  ASSERT_FALSE(whole_sets.auc_retain.empty());
  for (int64_t p : whole_sets.auc_retain) EXPECT_TRUE(test.count(p)) << p;
  for (int64_t p : whole_sets.members) EXPECT_FALSE(is_appended(in, p)) << p;
  for (int64_t p : whole_sets.nonmembers) EXPECT_FALSE(is_appended(in, p)) << p;
  // An emoji request on the same run compares with emoji pairs only.
  const auto red = make_forget_set(parse_request("concept:red"), both, holders, 0);
  const UnlearnInputs in_red{cfg_, ctx, both, tokens, holders, red, weights, model_cfg, ucfg, dir_, "", &ds};
  for (int64_t p : make_audit_sets(in_red).members) EXPECT_FALSE(is_appended(in_red, p)) << p;
}

TEST_F(CreamflUnlearning, SamplesOfTheFashionMnistClientAreSomeOfItsImages) {
  const auto ds = data::load(cfg_.data);
  const auto fashion = creamfl_fashion(cfg_);
  const auto holders = creamfl_holders(cfg_, ds, &*fashion, dir_);
  const auto fs = make_forget_set(parse_request("samples:4:0.1"), data::append(ds, *fashion), holders, 0);
  EXPECT_EQ(fs.forget.size(), 20u) << "a tenth of its 200 images, one pair each";
  EXPECT_TRUE(std::includes(holders.train[4].begin(), holders.train[4].end(), fs.forget.begin(), fs.forget.end()));
  EXPECT_EQ(fs.holders, std::vector<int64_t>{4});
  EXPECT_EQ(fs.retained.train[4].size(), 180u);
  EXPECT_TRUE(fs.removed_clients.empty());
}

TEST_F(CreamflUnlearning, WhatTheFrameCannotHonourIsAOneLineError) {
  const auto out = lethe::testing::test_temp_dir("unlearn").string();
  // A run that kept no client shares: no history method but the ones that need none.
  auto plain = cfg_;
  plain.creamfl.client_shares = false;
  EXPECT_NE(creamfl_refusal(plain, "ease").find("creamfl.client_shares = true"), std::string::npos);
  EXPECT_NE(creamfl_refusal(plain, "federaser").find("creamfl.client_shares = true"), std::string::npos);
  EXPECT_EQ(creamfl_refusal(plain, "finetune"), "");
  EXPECT_EQ(creamfl_refusal(cfg_, "fedrecovery"), "");
  EXPECT_EQ(creamfl_refusal(cfg_, "federaser"), "");
  expect_input_error([&] { unlearn("samples:5:0.5", {"finetune"}, out); }, {"public set", "0..4"});
  expect_input_error([&] { unlearn("client:6", {"finetune"}, out); }, {"does not exist"});
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(out) / "audit.json"));
}

}  // namespace
}  // namespace lethe::unlearn
