#pragma once
// The emoji image–text set (DATA.md §1), from npm packages installed by scripts/setup into
// <data root>/npm/node_modules: emoji-datasource (emoji.json and, per vendor, 64×64 PNGs) and
// emojibase-data (English CLDR labels, tags, groups).
//
// emoji.json's emoji and their skin variations are joined with emojibase's entries and skins on
// code points (uppercase hex, '-' separated, FE0F ignored). The caption is the emojibase label
// ("cat face"; with caption = "label+tags": "cat face, animal, cat, face, kitten, kitty, pet";
// a skin variation has its base emoji's tags). The unit is the caption: every vendor's image
// of it is one pair of that unit, one image per (vendor, variant), id "<vendor>/<image stem>".
// Should two variants ever share a caption, they form one unit, keeping all their images
// (a vendor then has two pairs in it). Images a vendor lacks (has_img_<vendor> false, or the
// file missing) are skipped. Units follow emoji.json's sort_order, each emoji's skin variations
// after it, so `limit` keeps a deterministic prefix.
#include <array>
#include <string>
#include <string_view>

#include "lethe/data/dataset.h"

namespace lethe::data {

inline constexpr std::array<const char*, 4> kEmojiVendors = {"apple", "facebook", "google",
                                                             "twitter"};
inline constexpr const char* kEmojiDatasourceVersion = "16.0.0";
inline constexpr const char* kEmojibaseVersion = "17.0.0";

// Code points as a join key: "1f636-200d-1F32B-FE0F" → "1F636-200D-1F32B".
std::string emoji_key(std::string_view hexcode);

// Where the npm packages live: <data root>/npm/node_modules.
std::string emoji_dir(const DataConfig& cfg);

// Train pairs: vendors in cfg.train_sources; test pairs: cfg.test_sources. cfg.skin_tones =
// false drops skin variations; cfg.limit keeps the first `limit` units. Labels: source
// (vendor), group and subgroup (emojibase), category (emoji-datasource). Images are cached.
Dataset load_emoji(const DataConfig& cfg);

}  // namespace lethe::data
