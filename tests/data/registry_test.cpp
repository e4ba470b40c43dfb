#include "lethe/data/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lethe/core/error.h"

namespace lethe::data {
namespace {

using ::testing::HasSubstr;

TEST(DatasetRegistry, ListsTheBuiltins) {
  EXPECT_EQ(datasets().names(),
            std::vector<std::string>({"emoji", "emoji-styles", "fashion-mnist", "karpathy", "shapes"}));
  for (const auto* e : datasets().entries()) {
    EXPECT_FALSE(e->description.empty()) << e->name;
    EXPECT_EQ(e->description.find('\n'), std::string::npos) << "one line: " << e->name;
  }
}

TEST(DatasetRegistry, LoadDispatchesByName) {
  DataConfig cfg;
  cfg.name = "shapes";
  cfg.shapes_train = 5;
  cfg.shapes_test = 3;
  auto ds = load(cfg);
  EXPECT_EQ(ds.name, "shapes");
  EXPECT_EQ(ds.num_pairs(), 8);
  cfg.name = "shape";
  try {
    load(cfg);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown dataset 'shape' (did you mean 'shapes'?); valid: "
                                    "emoji, emoji-styles, fashion-mnist, karpathy, shapes"));
  }
}

}  // namespace
}  // namespace lethe::data
