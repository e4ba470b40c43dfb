#include "lethe/data/emoji.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data/test_util.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/data/cache.h"

namespace lethe::data {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;
namespace fs = std::filesystem;

// A miniature of the installed npm packages, in their formats:
//   waving hand 1F44B (sort 1) with a light-skin variation facebook does not draw,
//   grinning face 1F600 (sort 2), red heart 2764-FE0F (emojibase: 2764; apple's PNG missing),
//   an emoji-datasource entry emojibase does not know (skipped).
fs::path write_fixture(const fs::path& root) {
  const fs::path nm = root / "npm" / "node_modules";
  auto all = [](json e, bool facebook = true) {
    for (const char* v : kEmojiVendors) e[std::string("has_img_") + v] = true;
    e["has_img_facebook"] = facebook;
    return e;
  };
  json emoji = json::array();
  emoji.push_back(all({{"unified", "1F600"}, {"image", "1f600.png"}, {"sort_order", 2},
                       {"category", "Smileys & Emotion"}, {"subcategory", "face-smiling"}}));
  json wave = all({{"unified", "1F44B"}, {"image", "1f44b.png"}, {"sort_order", 1},
                   {"category", "People & Body"}, {"subcategory", "hand-fingers-open"}});
  wave["skin_variations"]["1F3FB"] =
      all({{"unified", "1F44B-1F3FB"}, {"image", "1f44b-1f3fb.png"}}, false);
  emoji.push_back(wave);
  emoji.push_back(all({{"unified", "2764-FE0F"}, {"image", "2764-fe0f.png"}, {"sort_order", 3},
                       {"category", "Smileys & Emotion"}, {"subcategory", "heart"}}));
  emoji.push_back(all({{"unified", "1FAFF"}, {"image", "1faff.png"}, {"sort_order", 4},
                       {"category", "Symbols"}, {"subcategory", "other"}}));
  write_file_atomic((nm / "emoji-datasource" / "emoji.json").string(), emoji.dump());

  json data = json::array();
  data.push_back({{"label", "regional indicator A"}, {"hexcode", "1F1E6"}, {"type", 1}});
  data.push_back({{"label", "grinning face"}, {"hexcode", "1F600"}, {"group", 0}, {"subgroup", 0},
                  {"tags", {"face", "grin"}}});
  data.push_back({{"label", "waving hand"}, {"hexcode", "1F44B"}, {"group", 1}, {"subgroup", 16},
                  {"tags", {"hand", "wave"}},
                  {"skins", {{{"label", "waving hand: light skin tone"}, {"hexcode", "1F44B-1F3FB"},
                              {"group", 1}, {"subgroup", 16}, {"tone", 1}}}}});
  data.push_back({{"label", "red heart"}, {"hexcode", "2764"}, {"group", 0}, {"subgroup", 13},
                  {"tags", {"heart"}}});
  write_file_atomic((nm / "emojibase-data" / "en" / "data.json").string(), data.dump());
  json groups = {{"groups", {{"0", "smileys-emotion"}, {"1", "people-body"}}},
                 {"subgroups", {{"0", "face-smiling"}, {"13", "heart"}, {"16", "hand-fingers-open"}}}};
  write_file_atomic((nm / "emojibase-data" / "meta" / "groups.json").string(), groups.dump());

  const std::map<std::string, uint8_t> level = {{"google", 10}, {"twitter", 20}, {"facebook", 30}, {"apple", 40}};
  for (const char* v : kEmojiVendors) {
    const fs::path img = nm / (std::string("emoji-datasource-") + v) / "img" / v / "64";
    for (const char* f : {"1f600.png", "1f44b.png", "1f44b-1f3fb.png", "2764-fe0f.png", "1faff.png"}) {
      if (std::string(v) == "apple" && std::string(f) == "2764-fe0f.png") continue;
      if (std::string(v) == "facebook" && std::string(f) == "1f44b-1f3fb.png") continue;
      testing::write_solid_png(img / f, 64, 64, level.at(v), 0, 0);
    }
  }
  return nm;
}

DataConfig config_in(const fs::path& root) {
  DataConfig cfg;
  cfg.root = root.string();
  cfg.image_size = 16;
  return cfg;
}

std::string error_of(const DataConfig& cfg) {
  try {
    load_emoji(cfg);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

TEST(Emoji, KeysIgnoreVariationSelectorsAndCase) {
  EXPECT_EQ(emoji_key("2764-fe0f"), "2764");
  EXPECT_EQ(emoji_key("1f636-200D-1f32b-FE0F"), "1F636-200D-1F32B");
  EXPECT_EQ(emoji_key("1F600"), "1F600");
}

TEST(Emoji, JoinsDatasourceAndEmojibase) {
  auto dir = testing::temp_dir();
  write_fixture(dir);
  auto ds = load_emoji(config_in(dir));
  EXPECT_NO_THROW(ds.check());
  EXPECT_EQ(ds.captions, std::vector<std::string>({"waving hand", "waving hand: light skin tone",
                                                   "grinning face", "red heart"}));
  EXPECT_EQ(ds.caption_tags[1], std::vector<std::string>({"hand", "wave"})) << "skins inherit tags";
  EXPECT_EQ(ds.num_units(), 4);
  // 4 + 3 (facebook lacks the skin) + 4 + 3 (apple's heart is missing on disk).
  EXPECT_EQ(ds.num_pairs(), 14);
  EXPECT_EQ(ds.images.sizes().vec(), std::vector<int64_t>({14, 3, 16, 16}));
  EXPECT_EQ(ds.image_ids[0], "google/1f44b");
  EXPECT_EQ(ds.image_ids[4], "google/1f44b-1f3fb");
  EXPECT_EQ(ds.image_ids[13], "facebook/2764-fe0f");
  std::map<int64_t, std::vector<std::string>> vendors_of_unit;
  for (int64_t p = 0; p < ds.num_pairs(); ++p) {
    const auto& pair = ds.pairs[p];
    EXPECT_EQ(pair.caption, pair.unit);
    const std::string vendor = ds.label("source", p);
    vendors_of_unit[pair.unit].push_back(vendor);
    EXPECT_EQ(ds.image_ids[pair.image].substr(0, vendor.size()), vendor);
    const int level = vendor == "google" ? 10 : vendor == "twitter" ? 20 : vendor == "facebook" ? 30 : 40;
    EXPECT_TRUE(ds.images[pair.image][0].eq(level).all().item<bool>()) << ds.image_ids[pair.image];
    const bool is_test = std::find(ds.test.begin(), ds.test.end(), p) != ds.test.end();
    EXPECT_EQ(is_test, vendor == "apple");
  }
  EXPECT_EQ(vendors_of_unit[0], std::vector<std::string>({"google", "twitter", "facebook", "apple"}));
  EXPECT_EQ(vendors_of_unit[1], std::vector<std::string>({"google", "twitter", "apple"}));
  EXPECT_EQ(vendors_of_unit[3], std::vector<std::string>({"google", "twitter", "facebook"}));
  EXPECT_EQ(ds.train.size() + ds.test.size(), 14u);
  EXPECT_EQ(ds.test.size(), 3u);
  EXPECT_EQ(ds.label("group", 0), "people-body");
  EXPECT_EQ(ds.label("subgroup", 0), "hand-fingers-open");
  EXPECT_EQ(ds.label("category", 0), "People & Body");
  EXPECT_EQ(ds.label("group", 13), "smileys-emotion");
  EXPECT_EQ(ds.label("subgroup", 13), "heart");
}

TEST(Emoji, CaptionStyleSkinTonesAndLimit) {
  auto dir = testing::temp_dir();
  write_fixture(dir);
  auto cfg = config_in(dir);
  cfg.caption = "label+tags";
  cfg.skin_tones = false;
  auto ds = load_emoji(cfg);
  EXPECT_EQ(ds.captions, std::vector<std::string>({"waving hand, hand, wave", "grinning face, face, grin",
                                                   "red heart, heart"}));
  cfg.caption = "label";
  cfg.skin_tones = true;
  cfg.limit = 2;
  cfg.train_sources = {"twitter"};
  cfg.test_sources = {"google", "facebook"};
  ds = load_emoji(cfg);
  EXPECT_EQ(ds.captions, std::vector<std::string>({"waving hand", "waving hand: light skin tone"}));
  EXPECT_EQ(ds.train.size(), 2u);
  EXPECT_EQ(ds.test.size(), 3u);
  EXPECT_EQ(ds.label("source", 0), "twitter");
}

TEST(Emoji, SecondLoadReadsTheCache) {
  auto dir = testing::temp_dir();
  write_fixture(dir);
  auto cfg = config_in(dir);
  const auto before = image_cache_stats();
  auto a = load_emoji(cfg);
  auto b = load_emoji(cfg);
  EXPECT_EQ(image_cache_stats().builds - before.builds, 1);
  EXPECT_EQ(image_cache_stats().hits - before.hits, 1);
  EXPECT_TRUE(a.images.equal(b.images));
}

TEST(Emoji, ErrorsNameTheProblem) {
  auto dir = testing::temp_dir();
  auto cfg = config_in(dir);
  const std::string nm = (dir / "npm" / "node_modules").string();
  EXPECT_THAT(error_of(cfg), HasSubstr("emoji data not found in " + nm + ": run scripts/setup (npm install --prefix " +
                                       dir.string() + "/npm emoji-datasource@16.0.0 emojibase-data@17.0.0"));
  write_fixture(dir);
  cfg.test_sources = {"aple"};
  EXPECT_THAT(error_of(cfg), HasSubstr("unknown emoji vendor 'aple' (did you mean 'apple'?); valid: apple, facebook, google, twitter"));
  cfg.test_sources = {"google"};
  EXPECT_THAT(error_of(cfg), HasSubstr("emoji vendor 'google' is listed twice in train_sources/test_sources"));
  cfg.train_sources = {};
  EXPECT_THAT(error_of(cfg), HasSubstr("emoji needs at least one vendor in train_sources"));
  cfg = config_in(dir);
  fs::remove_all(dir / "npm" / "node_modules" / "emoji-datasource-apple");
  EXPECT_THAT(error_of(cfg), HasSubstr("emoji images of vendor 'apple' not found in " + nm +
                                       "/emoji-datasource-apple/img/apple/64: run scripts/setup (npm "
                                       "install --prefix " + dir.string() + "/npm emoji-datasource-apple@16.0.0)"));
  cfg.test_sources = {};
  const std::string groups = nm + "/emojibase-data/meta/groups.json";
  const std::string emoji_json = nm + "/emoji-datasource/emoji.json";
  const std::string emoji_bytes = read_file(emoji_json);
  write_file_atomic(emoji_json, R"([{"unified": "1F600"}])");
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + emoji_json + "' has unexpected content: "));
  write_file_atomic(emoji_json, emoji_bytes);
  write_file_atomic(groups, R"({"groups": {"0": "a", "1": "b"}, "subgroups": {"0": "c"}})");
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + groups + "' has no name for subgroup 16"));
  write_file_atomic(groups, R"({"groups": {"x": "a"}, "subgroups": {}})");
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + groups + "': group id 'x' is not a number"));
  write_file_atomic(groups, "{\"groups\": {}}");
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + groups + "' has unexpected content: "));
  write_file_atomic(groups, "{");
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + groups + "' is not valid JSON: "));
}

TEST(Emoji, LoadsTheInstalledPackages) {
  DataConfig cfg;
  if (!file_exists(emoji_dir(cfg) + "/emoji-datasource/emoji.json"))
    GTEST_SKIP() << "emoji npm packages not installed in " << emoji_dir(cfg) << " (run scripts/setup)";
  cfg.limit = 50;
  cfg.cache = false;  // leave the user's cache folder alone
  auto ds = load_emoji(cfg);
  EXPECT_NO_THROW(ds.check());
  EXPECT_EQ(ds.num_units(), 50);
  auto it = std::find(ds.captions.begin(), ds.captions.end(), "grinning face");
  ASSERT_NE(it, ds.captions.end());
  const int64_t unit = it - ds.captions.begin();
  std::vector<std::string> vendors, ids;
  for (int64_t p = 0; p < ds.num_pairs(); ++p)
    if (ds.pairs[p].unit == unit) {
      vendors.push_back(ds.label("source", p));
      ids.push_back(ds.image_ids[ds.pairs[p].image]);
      EXPECT_EQ(ds.label("group", p), "smileys-emotion");
      EXPECT_EQ(ds.label("subgroup", p), "face-smiling");
      EXPECT_EQ(ds.label("category", p), "Smileys & Emotion");
    }
  EXPECT_EQ(vendors, std::vector<std::string>({"google", "twitter", "facebook", "apple"}));
  EXPECT_EQ(ids[0], "google/1f600");
  for (const auto& [name, col] : ds.labels)
    EXPECT_EQ(col.of_pair.size(), ds.pairs.size()) << name;
  for (int64_t p : ds.test) EXPECT_EQ(ds.label("source", p), "apple");
  for (int64_t p : ds.train) EXPECT_NE(ds.label("source", p), "apple");
  // Real emoji are drawn, not blank: the images vary.
  EXPECT_GT(ds.images.to(torch::kFloat).std().item<float>(), 20.0f);
}

}  // namespace
}  // namespace lethe::data
