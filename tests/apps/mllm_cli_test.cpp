// lethe train / lethe unlearn on a multimodal-LM run (run.mode = mllm), end to end through the
// binary: the run folder, the audit of an entities request with its cached retrain reference,
// and requests that do not apply to such a run.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apps/cli_util.h"
#include "mllm/fixture.h"

namespace lethe::testing::cli {
namespace {

const char* kConfig =
    "[run]\nname = \"m\"\nmode = \"mllm\"\nthreads = 2\nprecision = \"fp32\"\n"
    "[data]\nname = \"emoji\"\nimage_size = 16\nskin_tones = false\nlimit = 20\n"
    "[model]\npreset = \"tiny\"\n[train]\nepochs = 2\nbatch_size = 32\nnum_merges = 50\n"
    "[eval]\ntrain_units = 10\n"
    "[mllm]\nwidth = 32\nheads = 2\nlayers = 1\nepochs = 3\nbatch_size = 32\nnum_merges = 100\n";

TEST(MllmCli, TrainThenUnlearnEntitiesWithACachedReference) {
  if (!have_emoji()) GTEST_SKIP() << "emoji npm packages not installed (run scripts/setup)";
  auto d = tmp_dir("mllm");
  write(d / "m.toml", kConfig);
  auto r = run("train --config " + (d / "m.toml").string() + " --out " + (d / "run").string(), d);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"config.toml", "summary.json", "checkpoints/lm.safetensors", "checkpoints/final.safetensors"})
    EXPECT_TRUE(fs::exists(d / "run" / f)) << f;
  auto summary = nlohmann::json::parse(file_bytes(d / "run/summary.json"));
  for (const char* g : {"vqa_seen", "vqa_heldout", "qa"}) EXPECT_TRUE(summary["lm"][g].contains("exact")) << g;

  const std::string unlearn = "unlearn --run " + (d / "run").string() +
                              " --forget entities:0.1 --method mmunlearner,ga unlearn.mmunlearner.fisher_batches=2";
  r = run(unlearn, d);
  ASSERT_EQ(r.code, 0) << r.err;
  auto audit = nlohmann::json::parse(file_bytes(d / "run/unlearn/entities-0.1/audit.json"));
  EXPECT_EQ(audit["kind"], "mllm");
  EXPECT_EQ(audit["forget_entities"], 2);
  EXPECT_FALSE(audit["reference"]["from_cache"].get<bool>());
  for (const char* m : {"mmunlearner", "ga"}) {
    EXPECT_TRUE(audit["methods"][m]["gap"]["exact"].contains("sum")) << m;
    EXPECT_TRUE(fs::exists(d / "run/unlearn/entities-0.1" / (std::string(m) + ".safetensors"))) << m;
  }
  // The forget group holds the two emoji's three training images, two questions each.
  EXPECT_EQ(audit["original"]["eval"]["vqa_forget"]["n"], 12);
  r = run(unlearn, d);
  ASSERT_EQ(r.code, 0) << r.err;
  audit = nlohmann::json::parse(file_bytes(d / "run/unlearn/entities-0.1/audit.json"));
  EXPECT_TRUE(audit["reference"]["from_cache"].get<bool>());

  // lethe runs show: the LM's accuracy table and the audit's, in LM terms.
  r = run("runs show " + (d / "run").string(), d);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto shown = file_bytes(d / "out.txt");
  EXPECT_NE(shown.find("multimodal LM"), std::string::npos) << shown;
  EXPECT_NE(shown.find("(12 image questions"), std::string::npos) << shown;
  EXPECT_NE(shown.find("forget VQA"), std::string::npos) << shown;

  // Client and pair requests, and CLIP methods, do not apply; neither does entities: on CLIP runs.
  r = run("unlearn --run " + (d / "run").string() + " --forget client:0 --method ga", d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("forgets emoji (entities:FRACTION or concept:WORD)"), std::string::npos) << r.err;
  r = run("unlearn --run " + (d / "run").string() + " --forget entities:0.1 --method ease", d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown multimodal-LM unlearning method 'ease'"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
}

TEST(MllmCli, MllmRunsNeedEmojiLabels) {
  auto d = tmp_dir("mllm_bad");
  write(d / "m.toml", "[run]\nmode = \"mllm\"\n[data]\nname = \"shapes\"\n");
  auto r = run("train --config " + (d / "m.toml").string() + " --out " + (d / "run").string(), d);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("data.name = \"emoji\""), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "run"));
}

}  // namespace
}  // namespace lethe::testing::cli
