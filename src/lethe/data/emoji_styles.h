#pragma once
// Emoji in art styles that none of the clients' vendors draw: the Iconify JSON sets of OpenMoji,
// Fluent Emoji (flat) and EmojiOne (npm packages @iconify-json/<style>, installed by
// scripts/setup), rasterised with librsvg (data/svg.h). Public image–text data that no federated
// client holds: the corpus the stand-in for a pretrained CLIP learns from (docs/pretrained.md).
//
// A pair is one style's drawing of an icon and its caption, the icon's name with '-' read as ' '
// and a trailing version digit dropped ("grinning-face-with-big-eyes" → "grinning face with big
// eyes", "axe2" → "axe"). The unit is the caption, with every style's drawing of it. Aliases and
// hidden icons are skipped. Test: the units whose caption hashes to 0 mod 50 (about 2%, the
// same ones for every image size and style list), for the pretraining's own held-out recall;
// train: the rest. Labels: source (the style). Images are cached like every dataset's.
#include <array>
#include <string>

#include "lethe/data/dataset.h"

namespace lethe::data {

struct EmojiStyle {
  const char* name;     // data.styles value
  const char* package;  // npm package
  const char* version;  // pinned in scripts/setup
};
inline constexpr std::array<EmojiStyle, 3> kEmojiStyles = {{
    {"openmoji", "@iconify-json/openmoji", "1.2.29"},
    {"fluent-emoji-flat", "@iconify-json/fluent-emoji-flat", "1.2.6"},
    {"emojione", "@iconify-json/emojione", "1.2.3"},
}};

// An Iconify icon name as a caption.
std::string icon_caption(const std::string& name);

// cfg.styles in order; cfg.limit keeps the first `limit` units.
Dataset load_emoji_styles(const DataConfig& cfg);

}  // namespace lethe::data
