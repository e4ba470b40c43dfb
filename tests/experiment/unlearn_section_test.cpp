// A config's [unlearn] table: training leaves it alone, the benchmark takes it as unlearn.*
// overrides (configs/emoji-lora-bench.toml keeps its regime's unlearning settings there).
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "lethe/experiment/experiment.h"

namespace lethe::experiment {
namespace {

constexpr const char* kTraining = R"(
[run]
name = "split"
mode = "federated"
[data]
name = "shapes"
image_size = 16
[model]
preset = "tiny"
[fl]
rounds = 3
)";

TEST(UnlearnSection, TrainingReadsTheRestAndTheBenchTheTableAsOverrides) {
  const std::string text = std::string(kTraining) + R"(
[unlearn]
finetune_rounds = 1
stop = "budget"
ease_lock = false
[unlearn.ease]
tau_deg = 60.5
)";
  const auto cfg = parse_experiment(text, "split");
  EXPECT_EQ(cfg.fl.rounds, 3);
  const auto split = split_unlearn_section(text, "split");
  EXPECT_EQ(split.unlearn_overrides,
            (std::vector<std::string>{"unlearn.ease.tau_deg=60.5", "unlearn.ease_lock=false",
                                      "unlearn.finetune_rounds=1", "unlearn.stop='budget'"}));
  EXPECT_EQ(split.training.find("unlearn"), std::string::npos);
  EXPECT_EQ(parse_experiment(split.training, "split").fl.rounds, 3);
}

TEST(UnlearnSection, AConfigWithoutItIsUntouchedAndItsKeysAreOnlyValues) {
  const auto plain = split_unlearn_section(kTraining, "plain");
  EXPECT_EQ(plain.training, kTraining);
  EXPECT_TRUE(plain.unlearn_overrides.empty());
  // Text that does not parse is left to the config parser, which names the line.
  EXPECT_EQ(split_unlearn_section("[run\n", "broken").training, "[run\n");
  lethe::testing::expect_input_error([] { parse_experiment("[run\n", "broken"); }, {"broken"});
  lethe::testing::expect_input_error(
      [] { split_unlearn_section(std::string(kTraining) + "[unlearn]\nfinetune_rounds = [1, 2]\n", "nested"); },
      {"nested", "[unlearn] finetune_rounds must be a single value"});
  // A misspelt training key next to the table is still refused.
  lethe::testing::expect_input_error(
      [] { parse_experiment(std::string(kTraining) + "[unlearn]\nfinetune_rounds = 1\n[fl2]\nx = 1\n", "typo"); },
      {"unknown config key 'fl2"});
}

}  // namespace
}  // namespace lethe::experiment
