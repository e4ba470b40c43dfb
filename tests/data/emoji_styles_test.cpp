#include "lethe/data/emoji_styles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lethe/core/fs.h"
#include "lethe/data/emoji.h"
#include "lethe/data/svg.h"
#include "test_util.h"

namespace lethe::data {
namespace {

using lethe::testing::expect_input_error;

TEST(Svg, DrawsTheViewBoxOverWhite) {
  // A 10×10 viewBox: its left half red, drawn at 20 px (so 2 px per unit), the rest transparent.
  const auto img = render_svg(
      R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="5" height="10" fill="#ff0000"/></svg>)",
      20, "half.svg");
  ASSERT_EQ(img.sizes(), (std::vector<int64_t>{3, 20, 20}));
  EXPECT_EQ(img.scalar_type(), torch::kUInt8);
  auto px = [&](int c, int y, int x) { return img[c][y][x].item<int>(); };
  EXPECT_EQ(px(0, 10, 2), 255);  // red
  EXPECT_EQ(px(1, 10, 2), 0);
  EXPECT_EQ(px(2, 10, 2), 0);
  EXPECT_EQ(px(0, 10, 17), 255);  // white background
  EXPECT_EQ(px(1, 10, 17), 255);
  EXPECT_EQ(px(2, 10, 17), 255);
}

TEST(Svg, AWideViewBoxIsFittedAndCentred) {
  // 20×10 all blue: fitted into 20×20 it fills the middle band; above and below stay white.
  const auto img = render_svg(
      R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 10"><rect width="20" height="10" fill="#0000ff"/></svg>)",
      20, "wide.svg");
  EXPECT_EQ(img[2][10][10].item<int>(), 255);
  EXPECT_EQ(img[0][10][10].item<int>(), 0);
  EXPECT_EQ(img[0][1][10].item<int>(), 255);
  EXPECT_EQ(img[0][18][10].item<int>(), 255);
}

TEST(Svg, WhatLibrsvgRejectsIsNamed) {
  expect_input_error([] { render_svg("<svg this is not xml", 8, "broken.svg"); },
                     {"SVG 'broken.svg' cannot be drawn"});
  expect_input_error([] { render_svg("", 8, "empty.svg"); }, {"SVG 'empty.svg' cannot be drawn"});
  expect_input_error([] { render_svg("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", 0, "zero.svg"); },
                     {"size 0 is out of range"});
}

TEST(EmojiStyles, IconNamesBecomeCaptions) {
  EXPECT_EQ(icon_caption("grinning-face-with-big-eyes"), "grinning face with big eyes");
  EXPECT_EQ(icon_caption("axe2"), "axe");             // a drawing's second version
  EXPECT_EQ(icon_caption("keycap-10"), "keycap 10");  // a number of its own stays
  EXPECT_EQ(icon_caption("1st-place-medal"), "1st place medal");
}

bool have_styles() {
  return file_exists(emoji_dir(DataConfig{}) + "/@iconify-json/openmoji/icons.json");
}

TEST(EmojiStyles, LoadsEveryStyleWithCaptionUnits) {
  if (!have_styles()) GTEST_SKIP() << "run scripts/setup (the @iconify-json packages)";
  DataConfig cfg;
  cfg.name = "emoji-styles";
  cfg.image_size = 16;
  cfg.limit = 60;
  cfg.cache = false;
  const auto ds = load(cfg);
  EXPECT_EQ(ds.captions.size(), 60u);
  EXPECT_EQ(ds.num_units(), 60);
  EXPECT_EQ(ds.images.sizes(), (std::vector<int64_t>{ds.num_pairs(), 3, 16, 16}));
  std::set<std::string> sources(ds.labels.at("source").names.begin(), ds.labels.at("source").names.end());
  EXPECT_EQ(sources, (std::set<std::string>{"openmoji", "fluent-emoji-flat", "emojione"}));
  // Every pair is in train or test, and a unit never straddles them.
  EXPECT_EQ(ds.train.size() + ds.test.size(), static_cast<size_t>(ds.num_pairs()));
  std::set<int64_t> test_units;
  for (auto p : ds.test) test_units.insert(ds.pairs[p].unit);
  for (auto p : ds.train) EXPECT_FALSE(test_units.count(ds.pairs[p].unit));
  // Drawings are not blank: some pixel of each image differs from white.
  const auto not_white = ds.images.ne(255).flatten(1).any(1);
  EXPECT_TRUE(not_white.all().item<bool>());

  auto bad = cfg;
  bad.styles = {"openmoji", "twemoji"};
  expect_input_error([&] { load(bad); }, {"'data.styles' has 'twemoji'", "valid: openmoji"});
}

}  // namespace
}  // namespace lethe::data
