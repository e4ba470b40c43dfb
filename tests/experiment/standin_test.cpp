// The stand-in for a pretrained CLIP: pretrained once into the data root, exported as OpenCLIP,
// reused, and the start of a run through model.init = "openclip:$LETHE_DATA/...".
#include "lethe/experiment/standin.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/test_util.h"
#include "lethe/core/fs.h"
#include "lethe/interop/openclip_files.h"

namespace lethe::experiment {
namespace {

namespace fs = std::filesystem;
using lethe::testing::expect_input_error;

// A pretraining that takes seconds: tiny CLIP, a few procedural shapes, one epoch.
ExperimentConfig tiny_pretraining(const fs::path& root) {
  auto cfg = parse_experiment(R"(
[run]
name = "tiny-standin"
mode = "central"
threads = 2
precision = "fp32"
[data]
name = "shapes"
image_size = 16
shapes_train = 64
shapes_test = 16
[model]
preset = "tiny"
[train]
epochs = 1
batch_size = 32
num_merges = 50
[eval]
train_units = 16
)", "tiny-standin");
  cfg.data.root = root.string();
  return cfg;
}

TEST(StandIn, IsPretrainedOnceExportedAndReused) {
  const auto root = lethe::testing::test_temp_dir("experiment");
  const auto cfg = tiny_pretraining(root);
  const auto first = ensure_standin(cfg);
  EXPECT_TRUE(first.built);
  EXPECT_EQ(first.openclip_dir, (root / "pretrained" / "tiny-standin" / "openclip").string());
  EXPECT_TRUE(file_exists(first.openclip_dir + "/" + interop::kOpenClipWeightsFile));
  const auto mtime = fs::last_write_time(first.openclip_dir + "/" + interop::kOpenClipWeightsFile);
  const auto again = ensure_standin(cfg);
  EXPECT_FALSE(again.built);
  EXPECT_EQ(fs::last_write_time(again.openclip_dir + "/" + interop::kOpenClipWeightsFile), mtime);

  auto other = cfg;
  other.train.lr = 0.5;
  expect_input_error([&] { ensure_standin(other); }, {"holds a stand-in pretrained with another config"});
  auto federated = cfg;
  federated.run.mode = "federated";
  expect_input_error([&] { ensure_standin(federated); }, {"pretrained centrally from scratch"});

  // A run starts from it through $LETHE_DATA, with the stand-in's tokenizer and its zero-shot
  // recall in the summary.
  auto run = tiny_pretraining(root);
  run.run.name = "from-standin";
  run.model.init = "openclip:$LETHE_DATA/pretrained/tiny-standin/openclip";
  run.model.lora_rank = 2;
  ensure_init_available(run);  // present: nothing to build
  const auto summary = run_experiment(run, (root / "run").string());
  EXPECT_TRUE(summary.contains("initial_eval"));
  EXPECT_TRUE(summary["initial_eval"].contains("test"));

  auto missing = run;
  missing.model.init = "openclip:$LETHE_DATA/pretrained/no-such-standin/openclip";
  expect_input_error([&] { ensure_init_available(missing); },
                     {"no model there, and no embedded config 'no-such-standin'"});
}

}  // namespace
}  // namespace lethe::experiment
