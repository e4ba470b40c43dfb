// The CLI contract (CONTRACT.md): exit 2 and one line naming the problem for bad input; a
// failed command leaves no output files behind.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/cli_util.h"

namespace fs = std::filesystem;
using namespace lethe::testing::cli;

TEST(Cli, HelpAndVersion) {
  auto d = tmp_dir("help");
  EXPECT_EQ(run("--help", d).code, 0);
  EXPECT_EQ(run("--version", d).code, 0);
  EXPECT_EQ(run("train --help", d).code, 0);
}

TEST(Cli, UnknownSubcommandIsUsageError) {
  auto d = tmp_dir("unknown");
  auto r = run("trian", d);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
}

TEST(Cli, UnknownConfigKeyNamesTheKey) {
  auto d = tmp_dir("badkey");
  write(d / "c.toml", "[run]\nname = \"x\"\n[data]\nname = \"shapes\"\n");
  auto r = run("train --config " + (d / "c.toml").string() + " --out " + (d / "run").string() +
                   " no_such_key=1",
               d);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("no_such_key"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "run" / "summary.json"));
  EXPECT_FALSE(fs::exists(d / "run"));
}

TEST(Cli, TypoInKeySuggestsTheClosest) {
  auto d = tmp_dir("typo");
  write(d / "c.toml", "[train]\nepocs = 3\n");
  auto r = run("train --config " + (d / "c.toml").string() + " --out " + (d / "run").string(), d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'train.epochs'"), std::string::npos) << r.err;
}

TEST(Cli, OutOfRangeValue) {
  auto d = tmp_dir("range");
  write(d / "c.toml", "[train]\nlr = -1.0\n");
  auto r = run("train --config " + (d / "c.toml").string() + " --out " + (d / "run").string(), d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("train.lr"), std::string::npos) << r.err;
}

TEST(Cli, MalformedToml) {
  auto d = tmp_dir("toml");
  write(d / "c.toml", "[train\nlr = 1\n");
  auto r = run("train --config " + (d / "c.toml").string(), d);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("c.toml"), std::string::npos) << r.err;
}

TEST(Cli, TruncatedCheckpoint) {
  auto d = tmp_dir("trunc");
  write(d / "c.toml", "[data]\nname = \"shapes\"\n");
  write(d / "bad.safetensors", std::string("\x10\0\0\0\0\0\0\0{\"a\":", 13));
  auto r = run("eval --checkpoint " + (d / "bad.safetensors").string() + " --config " +
                   (d / "c.toml").string(),
               d);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("bad.safetensors"), std::string::npos) << r.err;
}

TEST(Cli, MissingDataCacheNamesSetup) {
  auto d = tmp_dir("nodata");
  write(d / "c.toml", "[data]\nname = \"emoji\"\nroot = \"" + (d / "nowhere").string() + "\"\n");
  auto r = run("train --config " + (d / "c.toml").string() + " --out " + (d / "run").string(), d);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("scripts/setup"), std::string::npos) << r.err;
}

TEST(Cli, AHistoryMethodOnACreamflRunIsRefusedInOneLine) {
  // Checked from the run's config before anything is loaded or written.
  auto d = tmp_dir("unlearn_creamfl");
  fs::create_directories(d / "run/checkpoints");
  write(d / "run/config.toml", "[run]\nmode = \"federated\"\n[data]\nname = \"shapes\"\n"
                               "[fl]\nstrategy = \"creamfl\"\n");
  write(d / "run/checkpoints/final.safetensors", "");
  auto r = run("unlearn --run " + (d / "run").string() + " --forget client:0 --method finetune,ease", d);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("method 'ease' reads each client's share of the server's updates"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("creamfl.client_shares = true"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "run/unlearn"));
}

TEST(Cli, UnknownBenchSuiteListsValidOnes) {
  auto d = tmp_dir("bench");
  auto r = run("bench train_stp --out " + (d / "b").string(), d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'train_step'"), std::string::npos) << r.err;
}

TEST(Cli, TrainAndEvalOnShapes) {
  // End to end on a few procedural shapes: train, then evaluate the checkpoint it wrote.
  auto d = tmp_dir("e2e");
  write(d / "c.toml",
        "[run]\nname = \"t\"\nthreads = 1\n[data]\nname = \"shapes\"\nimage_size = 16\n"
        "shapes_train = 64\nshapes_test = 32\n[model]\npreset = \"tiny\"\n"
        "[train]\nepochs = 1\nbatch_size = 16\nnum_merges = 50\n[eval]\ntrain_units = 32\n");
  auto r = run("train --config " + (d / "c.toml").string() + " --out " + (d / "run").string(), d);
  ASSERT_EQ(r.code, 0) << r.err;
  for (auto f : {"config.toml", "metrics.jsonl", "summary.json", "checkpoints/final.safetensors"})
    EXPECT_TRUE(fs::exists(d / "run" / f)) << f;
  auto e = run("eval --checkpoint " + (d / "run/checkpoints/final.safetensors").string() +
                   " --config " + (d / "c.toml").string() + " --out " + (d / "ev").string(),
               d);
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_TRUE(fs::exists(d / "ev" / "summary.json"));
  // A second run into the finished folder is refused before it writes anything.
  const auto metrics = file_bytes(d / "run/metrics.jsonl");
  auto again = run("train --config " + (d / "c.toml").string() + " --out " + (d / "run").string(), d);
  EXPECT_EQ(again.code, 2);
  EXPECT_EQ(lines(again.err), 1) << again.err;
  EXPECT_NE(again.err.find("already holds a run"), std::string::npos) << again.err;
  EXPECT_EQ(file_bytes(d / "run/metrics.jsonl"), metrics);
}


TEST(Cli, FederatedRunKilledMidRoundResumesToTheSameWeights) {
  auto d = tmp_dir("resume");
  // Clients keep their AdamW moments: the checkpoint carries them too.
  write_federated_config(d / "c.toml", 6, "client_optimizer = \"keep\"\n");
  auto whole = run("train --config " + (d / "c.toml").string() + " --out " + (d / "whole").string(), d);
  ASSERT_EQ(whole.code, 0) << whole.err;

  // Start the same run in the background and SIGKILL it once its first round is
  // checkpointed, i.e. while it trains a later round.
  const char* bin = std::getenv("LETHE_BIN");
  const auto split = d / "split";
  const std::string cmd = std::string(bin ? bin : "lethe") + " train --config " +
                          (d / "c.toml").string() + " --out " + split.string() +
                          " >/dev/null 2>&1 & echo $! > " + (d / "pid").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  for (int i = 0; i < 6000 && !fs::exists(split / "checkpoints/latest"); ++i)
    std::system("sleep 0.01");
  ASSERT_TRUE(fs::exists(split / "checkpoints/latest"));
  ASSERT_EQ(std::system(("kill -9 $(cat " + (d / "pid").string() + ")").c_str()), 0);
  std::system("sleep 0.2");
  EXPECT_FALSE(fs::exists(split / "summary.json"));  // it really was interrupted

  auto resumed = run("train --resume " + split.string(), d);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(file_bytes(split / "checkpoints/final.safetensors"),
            file_bytes(d / "whole/checkpoints/final.safetensors"));
}

TEST(Cli, CorruptCheckpointOnResumeIsNamed) {
  auto d = tmp_dir("resume_corrupt");
  write_federated_config(d / "c.toml", 2);
  ASSERT_EQ(run("train --config " + (d / "c.toml").string() + " --out " + (d / "r").string(), d).code, 0);
  fs::remove(d / "r/summary.json");
  const auto ckpt = d / "r/checkpoints/round_0002.safetensors";
  ASSERT_TRUE(fs::exists(ckpt));
  fs::resize_file(ckpt, fs::file_size(ckpt) / 2);
  auto r = run("train --resume " + (d / "r").string(), d);
  EXPECT_EQ(r.code, 2) << r.err;
  // Progress lines may come first; the error is the one last line and names the file.
  const auto last = r.err.substr(r.err.rfind('\n', r.err.size() - 2) + 1);
  EXPECT_EQ(last.rfind("lethe: error: ", 0), 0u) << r.err;
  EXPECT_NE(last.find("round_0002.safetensors"), std::string::npos) << r.err;
}

namespace {

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(file_bytes(p)); }

}  // namespace

TEST(Cli, QuickDemoRunsTheWholeJobAndRunsSummarisesIt) {
  // `lethe demo --quick` shrunk to seconds: train, client:0 with ease / finetune / federaser
  // next to retrain, re-anchoring, table, audit.json; then `lethe runs` reads the folder.
  auto d = tmp_dir("demo");
  const std::string args = "demo --quick --out " + (d / "demo").string() +
                           " --post-rounds 1 run.threads=1 model.preset=tiny data.shapes_train=160"
                           " data.shapes_test=40 eval.train_units=40 fl.rounds=2 fl.local_epochs=1";
  auto r = run(args, d);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string out = file_bytes(d / "out.txt");
  for (const char* s : {"[1/3]", "[2/3]", "[3/3]", "ease", "finetune", "federaser", "retrain"})
    EXPECT_NE(out.find(s), std::string::npos) << s << "\n" << out;
  auto audit = read_json(d / "demo/unlearn/client-0/audit.json");
  EXPECT_EQ(audit["request"], "client:0");
  for (const char* m : {"ease", "finetune", "federaser"}) EXPECT_TRUE(audit["methods"].contains(m)) << m;
  EXPECT_FALSE(audit["reference"]["from_cache"].get<bool>());
  const auto& curves = audit["reanchoring"]["curves"];
  EXPECT_EQ(audit["reanchoring"]["rounds"].size(), 2u);
  for (const char* c : {"finetune", "federaser"}) EXPECT_TRUE(curves.contains(c)) << c;
  // EASE's curve is labelled by its lock, and a locked run is also re-anchored without it.
  const bool locked = audit["methods"]["ease"]["details"]["lock"].value("directions", 0) > 0;
  EXPECT_TRUE(curves.contains(locked ? "ease (lock)" : "ease")) << curves.dump();
  EXPECT_EQ(curves.contains("ease (no lock)"), locked) << curves.dump();

  // Again: the finished training and the retrain reference are reused.
  ASSERT_EQ(run(args, d).code, 0);
  EXPECT_NE(file_bytes(d / "out.txt").find("reusing the finished training"), std::string::npos);
  EXPECT_TRUE(read_json(d / "demo/unlearn/client-0/audit.json")["reference"]["from_cache"].get<bool>());
  // A reference cached for another config of the run is recomputed, not reused.
  const auto cache = d / "demo/unlearn" /
                     ("retrain-" + audit["manifest_sha256"].get<std::string>().substr(0, 12)) / "reference.json";
  auto meta = read_json(cache);
  meta["run_config_sha256"] = "another";
  write(cache, meta.dump());
  ASSERT_EQ(run(args, d).code, 0);
  EXPECT_FALSE(read_json(d / "demo/unlearn/client-0/audit.json")["reference"]["from_cache"].get<bool>());
  // Another config into the same folder is refused and the run there is kept.
  auto other = run(args + " train.lr=3e-3", d);
  EXPECT_EQ(other.code, 2) << other.err;
  EXPECT_TRUE(fs::exists(d / "demo/summary.json"));

  auto list = run("runs list " + d.string(), d);
  ASSERT_EQ(list.code, 0) << list.err;
  const std::string listed = file_bytes(d / "out.txt");
  for (const char* s : {"demo", "federated", "finished", "client-0"})
    EXPECT_NE(listed.find(s), std::string::npos) << s << "\n" << listed;
  auto show = run("runs show " + (d / "demo").string(), d);
  ASSERT_EQ(show.code, 0) << show.err;
  const std::string shown = file_bytes(d / "out.txt");
  for (const char* s : {"deletion request client:0", "ease", "audit.json"})
    EXPECT_NE(shown.find(s), std::string::npos) << s << "\n" << shown;
  EXPECT_EQ(run("runs show " + (d / "nowhere").string(), d).code, 2);
}

TEST(Cli, HelpConfigListsKeysWithDefaults) {
  auto d = tmp_dir("help_config");
  ASSERT_EQ(run("train --help-config", d).code, 0);
  const std::string train = file_bytes(d / "out.txt");
  EXPECT_NE(train.find("fl.rounds"), std::string::npos) << train;
  EXPECT_NE(train.find("train.lr"), std::string::npos) << train;
  ASSERT_EQ(run("unlearn --help-config", d).code, 0);
  EXPECT_NE(file_bytes(d / "out.txt").find("unlearn.post_rounds"), std::string::npos);
  ASSERT_EQ(run("demo --help", d).code, 0);
  EXPECT_NE(file_bytes(d / "out.txt").find("ease,finetune,federaser"), std::string::npos);
}
