#include "lethe/core/run_folder.h"

#include <gtest/gtest.h>

#include "core/test_util.h"
#include "lethe/core/fs.h"

namespace lethe {
namespace {

TEST(RunFolder, SpellsTheDocumentedLayout) {
  const RunFolder run("runs/a");
  EXPECT_EQ(run.config(), "runs/a/config.toml");
  EXPECT_EQ(run.metrics(), "runs/a/metrics.jsonl");
  EXPECT_EQ(run.summary(), "runs/a/summary.json");
  EXPECT_EQ(run.partition(), "runs/a/partition.json");
  EXPECT_EQ(run.final_checkpoint(), "runs/a/checkpoints/final.safetensors");
  EXPECT_EQ(run.lm_checkpoint(), "runs/a/checkpoints/lm.safetensors");
  EXPECT_EQ(run.latest_round(), "runs/a/checkpoints/latest");
  EXPECT_EQ(run.history(), "runs/a/history");
  EXPECT_EQ(run.unlearn("client-0"), "runs/a/unlearn/client-0");
  EXPECT_EQ(run.server_address(), "runs/a/server_address");
}

// A run's life: nothing, started (config), interrupted (a latest round), finished (summary).
TEST(RunFolder, TellsAStartedAnInterruptedAndAFinishedRunApart) {
  const RunFolder run((lethe::testing::temp_dir() / "life").string());
  EXPECT_FALSE(run.has_config());
  EXPECT_FALSE(run.holds_config(""));
  write_file_atomic(run.config(), "[run]\nname = \"a\"\n");
  EXPECT_TRUE(run.has_config());
  EXPECT_TRUE(run.holds_config("[run]\nname = \"a\"\n"));
  EXPECT_FALSE(run.holds_config("[run]\nname = \"b\"\n"));
  EXPECT_FALSE(run.resumable());
  write_file_atomic(run.latest_round(), "round-2\n");
  EXPECT_TRUE(run.resumable());
  EXPECT_FALSE(run.finished());
  EXPECT_FALSE(run.has_history());
  write_file_atomic(run.history() + "/index.json", "{}");
  EXPECT_TRUE(run.has_history());
  write_file_atomic(run.summary(), "{}");
  EXPECT_TRUE(run.finished());
  EXPECT_FALSE(run.resumable());  // finished runs are reused, not resumed
}

}  // namespace
}  // namespace lethe
