#include "lethe/data/shapes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "lethe/core/error.h"

namespace lethe::data {
namespace {

using ::testing::HasSubstr;

TEST(Shapes, DescribesScenesInReadingOrder) {
  ShapeScene one = {{0, 0, false, 0}};
  EXPECT_EQ(describe(one), "a small red circle at the top left");
  ShapeScene two = {{0, 0, false, 0}, {1, 2, true, 4}};
  EXPECT_EQ(describe(two), "a small red circle at the top left and a large blue square in the centre");
  ShapeScene three = {{2, 3, true, 3}, {5, 6, false, 5}, {4, 7, true, 8}};
  EXPECT_EQ(describe(three),
            "a large yellow triangle on the left, a small black ring on the right and a large "
            "pink cross at the bottom right");
}

TEST(Shapes, RendersColourWhereTheShapeIs) {
  // A large blue square in the centre of a 30×30 image: the centre pixel is blue, corners white.
  auto img = render({{1, 2, true, 4}}, 30);
  ASSERT_EQ(img.sizes().vec(), std::vector<int64_t>({3, 30, 30}));
  EXPECT_EQ(img[0][15][15].item<int>(), 40);
  EXPECT_EQ(img[1][15][15].item<int>(), 80);
  EXPECT_EQ(img[2][15][15].item<int>(), 220);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(img[c][0][0].item<int>(), 255);
    EXPECT_EQ(img[c][29][29].item<int>(), 255);
    EXPECT_EQ(img[c][15][2].item<int>(), 255) << "left cell stays empty";
  }
  // A ring leaves its centre white; a small shape covers less than a large one.
  auto ring = render({{5, 0, true, 4}}, 30);
  EXPECT_EQ(ring[1][15][15].item<int>(), 255);
  auto covered = [](const torch::Tensor& t) { return t[2].lt(255).sum().item<int64_t>(); };
  EXPECT_LT(covered(render({{0, 0, false, 0}}, 30)), covered(render({{0, 0, true, 0}}, 30)));
}

TEST(Shapes, ScenesAreDeterministicUniqueAndSplitDisjoint) {
  auto train = generate_scenes(600, ShapeSplit::kTrain);
  auto test = generate_scenes(200, ShapeSplit::kTest);
  ASSERT_EQ(train.size(), 600u);
  ASSERT_EQ(test.size(), 200u);
  std::set<std::string> train_caps, test_caps;
  std::set<size_t> counts;
  for (const auto& s : train) {
    train_caps.insert(describe(s));
    counts.insert(s.size());
    for (size_t i = 1; i < s.size(); ++i) EXPECT_LT(s[i - 1].cell, s[i].cell);
  }
  for (const auto& s : test) test_caps.insert(describe(s));
  EXPECT_EQ(train_caps.size(), 600u) << "captions must be unique";
  EXPECT_EQ(test_caps.size(), 200u);
  for (const auto& c : test_caps) EXPECT_FALSE(train_caps.count(c)) << c;
  EXPECT_EQ(counts, std::set<size_t>({1, 2, 3}));
  // Same stream every time, and a smaller set is a prefix of a larger one.
  auto again = generate_scenes(100, ShapeSplit::kTrain);
  for (size_t i = 0; i < again.size(); ++i) EXPECT_EQ(describe(again[i]), describe(train[i]));
}

TEST(Shapes, MaxObjectsBoundsEveryScene) {
  std::set<size_t> counts;
  for (const auto& s : generate_scenes(300, ShapeSplit::kTrain, 2)) counts.insert(s.size());
  EXPECT_EQ(counts, std::set<size_t>({1, 2}));
  // One shape per scene: at most 6 kinds x 8 colours x 2 sizes x 9 cells captions exist.
  for (const auto& s : generate_scenes(150, ShapeSplit::kTest, 1)) EXPECT_EQ(s.size(), 1u);
  EXPECT_THROW(generate_scenes(900, ShapeSplit::kTrain, 1), InputError);
}

TEST(Shapes, LoadsADataset) {
  DataConfig cfg;
  cfg.name = "shapes";
  cfg.shapes_train = 50;
  cfg.shapes_test = 20;
  cfg.image_size = 24;
  auto ds = load_shapes(cfg);
  EXPECT_NO_THROW(ds.check());
  EXPECT_EQ(ds.images.sizes().vec(), std::vector<int64_t>({70, 3, 24, 24}));
  EXPECT_EQ(ds.num_pairs(), 70);
  EXPECT_EQ(ds.num_units(), 70);
  EXPECT_EQ(ds.train.size(), 50u);
  EXPECT_EQ(ds.test.size(), 20u);
  EXPECT_EQ(ds.image_ids[50], "test/000000");
  for (int64_t p = 0; p < ds.num_pairs(); ++p) {
    const auto& caption = ds.captions[ds.pairs[p].caption];
    EXPECT_THAT(caption, HasSubstr(ds.label("colour", p) + " " + ds.label("shape", p)));
    EXPECT_EQ(std::to_string(std::count(caption.begin(), caption.end(), ',') +
                             (caption.find(" and ") != std::string::npos) + 1),
              ds.label("count", p));
  }
  EXPECT_EQ(ds.label_column("source").names, std::vector<std::string>({"shapes"}));
  EXPECT_TRUE(load_shapes(cfg).images.equal(ds.images));
  cfg.limit = 10;
  auto small = load_shapes(cfg);
  EXPECT_EQ(small.train.size(), 10u);
  EXPECT_EQ(small.test.size(), 10u);
  EXPECT_EQ(small.captions[0], ds.captions[0]);
  cfg.shapes_test = 0;
  try {
    load_shapes(cfg);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("shapes needs at least one scene per split, got shapes_train "
                                    "= 50, shapes_test = 0"));
  }
}

}  // namespace
}  // namespace lethe::data
