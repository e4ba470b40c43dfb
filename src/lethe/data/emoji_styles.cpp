#include "lethe/data/emoji_styles.h"

#include <ATen/Parallel.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/progress.h"
#include "lethe/core/strings.h"
#include "lethe/data/cache.h"
#include "lethe/data/emoji.h"
#include "lethe/data/svg.h"

namespace lethe::data {

namespace {

using nlohmann::json;

const EmojiStyle& find_style(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& s : kEmojiStyles) {
    if (name == s.name) return s;
    names.emplace_back(s.name);
  }
  throw InputError(fmt::format("config key 'data.styles' has '{}'{}; valid: {}", name,
                               did_you_mean(name, names), join(names, ", ")));
}

// One icon: a standalone SVG document and where it came from.
struct Icon {
  std::string caption, svg, id;  // id: "<style>/<name>"
  int64_t style = 0;
};

std::string document(const json& icon, const json& set) {
  auto dim = [&](const char* key, int64_t fallback) {
    return icon.contains(key) ? icon.at(key).get<double>() : set.value(key, static_cast<double>(fallback));
  };
  return fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="{} {} {} {}" width="{}" height="{}">{}</svg>)",
      dim("left", 0), dim("top", 0), dim("width", 16), dim("height", 16), dim("width", 16),
      dim("height", 16), icon.at("body").get<std::string>());
}

std::vector<Icon> read_style(const std::string& path, int64_t style_index, const std::string& style) {
  json set;
  try {
    set = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw InputError(fmt::format("'{}' is not valid JSON: {}", path, e.what()));
  }
  std::vector<Icon> out;
  try {
    for (const auto& [name, icon] : set.at("icons").items()) {
      if (icon.value("hidden", false)) continue;
      out.push_back({icon_caption(name), document(icon, set), style + "/" + name, style_index});
    }
  } catch (const json::exception& e) {
    throw InputError(fmt::format("'{}' has unexpected content: {}", path, e.what()));
  }
  return out;
}

// FNV-1a: a split that depends on the caption alone.
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

std::string icon_caption(const std::string& name) {
  std::string c = name;
  std::replace(c.begin(), c.end(), '-', ' ');
  size_t end = c.size();
  while (end > 0 && std::isdigit(static_cast<unsigned char>(c[end - 1]))) --end;
  if (end > 0 && end < c.size() && std::isalpha(static_cast<unsigned char>(c[end - 1]))) c.resize(end);
  return c;
}

Dataset load_emoji_styles(const DataConfig& cfg) {
  LETHE_CHECK(!cfg.styles.empty(), "config key 'data.styles' is empty; valid: openmoji, fluent-emoji-flat, emojione");
  const std::string dir = emoji_dir(cfg);
  std::vector<Icon> icons;
  std::vector<std::string> key_parts = {"emoji-styles", std::to_string(cfg.image_size)};
  for (size_t k = 0; k < cfg.styles.size(); ++k) {
    const auto& style = find_style(cfg.styles[k]);
    const std::string path = fmt::format("{}/{}/icons.json", dir, style.package);
    LETHE_CHECK(file_exists(path), "emoji style '{}' not found at {}: run scripts/setup (npm install --prefix "
                "{}/npm {}@{})", style.name, path, data_root(cfg), style.package, style.version);
    key_parts.push_back(file_fingerprint(path));
    auto some = read_style(path, static_cast<int64_t>(k), style.name);
    icons.insert(icons.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
  }

  Dataset ds;
  ds.name = "emoji-styles";
  std::vector<const Icon*> kept;
  std::unordered_map<std::string, int64_t> unit_of_caption;
  for (const auto& icon : icons) {
    auto [it, fresh] = unit_of_caption.emplace(icon.caption, static_cast<int64_t>(ds.captions.size()));
    if (fresh) {
      if (cfg.limit > 0 && static_cast<int64_t>(ds.captions.size()) >= cfg.limit) {
        unit_of_caption.erase(it);
        continue;
      }
      ds.captions.push_back(icon.caption);
      ds.caption_tags.emplace_back();
    }
    const int64_t unit = it->second, id = ds.num_pairs();
    ds.pairs.push_back({static_cast<int64_t>(kept.size()), unit, unit});
    ds.image_ids.push_back(icon.id);
    ds.labels["source"].append(cfg.styles[icon.style]);
    (fnv1a(icon.caption) % 50 == 0 ? ds.test : ds.train).push_back(id);
    kept.push_back(&icon);
  }
  const auto n = static_cast<int64_t>(kept.size());
  LETHE_CHECK(n > 0, "emoji styles {}: no icons", join(cfg.styles, ", "));
  ds.images = cached_images(cfg, image_cache_key(key_parts), n, [&] {
    auto out = torch::empty({n, 3, cfg.image_size, cfg.image_size}, torch::kUInt8);
    Progress progress("drawing emoji", n, "img");
    constexpr int64_t kChunk = 256;
    for (int64_t begin = 0; begin < n; begin += kChunk) {
      const int64_t end = std::min(n, begin + kChunk);
      at::parallel_for(begin, end, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) out[i].copy_(render_svg(kept[i]->svg, cfg.image_size, kept[i]->id));
      });
      progress.tick(end - begin);
    }
    progress.done();
    return out;
  });
  log::info("emoji styles ({}): {} captions, {} images, {} train / {} test pairs at {}px",
            join(cfg.styles, ", "), ds.captions.size(), n, ds.train.size(), ds.test.size(), cfg.image_size);
  return ds;
}

}  // namespace lethe::data
