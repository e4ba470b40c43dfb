#include "lethe/data/append.h"

#include <gtest/gtest.h>

#include "common/test_util.h"

namespace lethe::data {
namespace {

// a: two images of "cat" (one unit); b: "dog" and "bag", one image each, b's own label column.
Dataset make(const std::string& name, int64_t images, std::vector<std::string> captions,
             std::vector<Pair> pairs, int64_t size = 8) {
  Dataset ds;
  ds.name = name;
  ds.images = torch::full({images, 3, size, size}, images, torch::kUInt8);
  for (int64_t i = 0; i < images; ++i) ds.image_ids.push_back(name + "/" + std::to_string(i));
  ds.caption_tags.assign(captions.size(), {name});
  ds.captions = std::move(captions);
  ds.pairs = std::move(pairs);
  for (size_t p = 0; p < ds.pairs.size(); ++p) ds.labels["source"].append(name);
  return ds;
}

TEST(Append, ShiftsTheSecondDatasetsIdsAndKeepsTheFirstsSplits) {
  auto a = make("a", 2, {"cat"}, {{0, 0, 0}, {1, 0, 0}});
  a.labels["group"].append("animals");
  a.labels["group"].append("animals");
  a.train = {0};
  a.test = {1};
  auto b = make("b", 2, {"dog", "bag"}, {{0, 0, 0}, {1, 1, 1}});
  b.labels["class"].append("dog");
  b.labels["class"].append("bag");
  b.train = {0, 1};
  const auto ab = append(a, b);
  ASSERT_EQ(ab.num_pairs(), 4);
  EXPECT_EQ(ab.num_units(), 3);
  EXPECT_EQ(ab.pairs[3].image, 3);
  EXPECT_EQ(ab.pairs[3].caption, 2);
  EXPECT_EQ(ab.pairs[3].unit, 2);
  EXPECT_EQ(ab.captions[ab.pairs[3].caption], "bag");
  EXPECT_EQ(ab.caption_tags[2], std::vector<std::string>{"b"});
  EXPECT_EQ(ab.image_ids[2], "b/0");
  EXPECT_EQ(ab.images[3].max().item<int>(), 2) << "b's images follow a's";
  EXPECT_EQ(ab.train, a.train);
  EXPECT_EQ(ab.test, a.test);
  EXPECT_EQ(ab.label("source", 2), "b");
  EXPECT_EQ(ab.label("group", 0), "animals");
  EXPECT_EQ(ab.label("group", 3), "b") << "b has no group column";
  EXPECT_EQ(ab.label("class", 0), "a");
  EXPECT_EQ(ab.label("class", 3), "bag");
  EXPECT_EQ(ab.label_column("group").names[0], "animals") << "a's categories keep their indices";

  lethe::testing::expect_input_error([&] { append(a, make("c", 1, {"x"}, {{0, 0, 0}}, 16)); },
                                     {"'c'", "differ in size"});
}

}  // namespace
}  // namespace lethe::data
