// A config by file or by the name of an embedded one (config_source.h).
#include "lethe/experiment/config_source.h"

#include <gtest/gtest.h>

#include "common/test_util.h"
#include "lethe/core/fs.h"
#include "lethe/embedded_configs.h"

namespace lethe::experiment {
namespace {

TEST(ConfigSource, AFileWinsThenAnEmbeddedNameAndNeitherListsTheNames) {
  const auto& embedded = embedded_configs();
  ASSERT_TRUE(embedded.contains("emoji-fedavg"));
  const auto by_name = config_source("emoji-fedavg");
  EXPECT_EQ(by_name.name, "embedded:emoji-fedavg");
  EXPECT_EQ(by_name.toml, embedded.at("emoji-fedavg"));

  // A file of the same name is what the user meant.
  const auto dir = lethe::testing::test_temp_dir("config_source");
  const auto path = (dir / "emoji-fedavg").string();
  write_file_atomic(path, "[run]\nname = \"mine\"\n");
  const auto by_file = config_source(path);
  EXPECT_EQ(by_file.name, path);
  EXPECT_EQ(by_file.toml, "[run]\nname = \"mine\"\n");

  lethe::testing::expect_input_error([] { config_source("no-such-config"); },
                                     {"'no-such-config': no such file, and no embedded config", "emoji-fedavg"});
}

}  // namespace
}  // namespace lethe::experiment
