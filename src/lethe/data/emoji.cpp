#include "lethe/data/emoji.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/strings.h"
#include "lethe/data/cache.h"
#include "lethe/data/image.h"

namespace lethe::data {

namespace {

using nlohmann::json;

// What emojibase says about one emoji or skin.
struct Concept {
  std::string label;
  const json* tags;  // of the base emoji (skins have none of their own)
  int group;
  int subgroup;
};

// One image-bearing variant from emoji.json (a base emoji or one of its skin variations).
struct Variant {
  const json* entry;  // the variant's own object (has unified, image, has_img_*)
  std::string category;
};

std::string install_hint(const DataConfig& cfg, const std::string& packages) {
  return fmt::format("run scripts/setup (npm install --prefix {}/npm {})", data_root(cfg), packages);
}

json read_json(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw InputError(fmt::format("'{}' is not valid JSON: {}", path, e.what()));
  }
}

// emojibase's entries and skins by code points.
std::unordered_map<std::string, Concept> read_emojibase(const json& data) {
  std::unordered_map<std::string, Concept> out;
  for (const auto& e : data) {
    // Entries without a group (regional indicators) are not emoji on their own.
    if (!e.contains("group")) continue;
    const json* tags = e.contains("tags") ? &e["tags"] : nullptr;
    Concept base{e.at("label").get<std::string>(), tags, e.at("group").get<int>(),
                 e.at("subgroup").get<int>()};
    out.emplace(emoji_key(e.at("hexcode").get<std::string>()), base);
    if (!e.contains("skins")) continue;
    for (const auto& s : e["skins"])
      out.emplace(emoji_key(s.at("hexcode").get<std::string>()),
                  Concept{s.at("label").get<std::string>(), tags, s.value("group", base.group),
                          s.value("subgroup", base.subgroup)});
  }
  return out;
}

std::vector<Variant> read_variants(const json& emoji, bool skin_tones) {
  std::vector<const json*> entries;
  for (const auto& e : emoji) entries.push_back(&e);
  std::stable_sort(entries.begin(), entries.end(), [](const json* a, const json* b) {
    return a->at("sort_order").get<int64_t>() < b->at("sort_order").get<int64_t>();
  });
  std::vector<Variant> out;
  for (const json* e : entries) {
    const std::string category = e->at("category").get<std::string>();
    out.push_back({e, category});
    if (skin_tones && e->contains("skin_variations"))
      for (const auto& [tone, v] : (*e)["skin_variations"].items()) out.push_back({&v, category});
  }
  return out;
}

void check_sources(const DataConfig& cfg) {
  const std::vector<std::string> valid(kEmojiVendors.begin(), kEmojiVendors.end());
  LETHE_CHECK(!cfg.train_sources.empty(), "emoji needs at least one vendor in train_sources");
  std::vector<std::string> seen;
  for (const auto* list : {&cfg.train_sources, &cfg.test_sources})
    for (const auto& v : *list) {
      LETHE_CHECK(std::find(valid.begin(), valid.end(), v) != valid.end(),
                  "unknown emoji vendor '{}'{}; valid: {}", v, did_you_mean(v, valid),
                  join(valid, ", "));
      LETHE_CHECK(std::find(seen.begin(), seen.end(), v) == seen.end(),
                  "emoji vendor '{}' is listed twice in train_sources/test_sources", v);
      seen.push_back(v);
    }
}

}  // namespace

std::string emoji_key(std::string_view hexcode) {
  std::vector<std::string> kept;
  for (auto& part : split(hexcode, '-')) {
    std::string up = part;
    for (auto& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (up != "FE0F") kept.push_back(std::move(up));
  }
  return join(kept, "-");
}

std::string emoji_dir(const DataConfig& cfg) { return data_root(cfg) + "/npm/node_modules"; }

Dataset load_emoji(const DataConfig& cfg) {
  check_sources(cfg);
  const std::string dir = emoji_dir(cfg);
  const std::string emoji_json = dir + "/emoji-datasource/emoji.json";
  const std::string data_json = dir + "/emojibase-data/en/data.json";
  const std::string groups_json = dir + "/emojibase-data/meta/groups.json";
  LETHE_CHECK(file_exists(emoji_json) && file_exists(data_json) && file_exists(groups_json),
              "emoji data not found in {}: {}", dir,
              install_hint(cfg, fmt::format("emoji-datasource@{} emojibase-data@{} ...",
                                            kEmojiDatasourceVersion, kEmojibaseVersion)));
  std::vector<std::string> vendors = cfg.train_sources;
  vendors.insert(vendors.end(), cfg.test_sources.begin(), cfg.test_sources.end());
  std::vector<std::string> vendor_dirs;
  for (const auto& v : vendors) {
    vendor_dirs.push_back(fmt::format("{}/emoji-datasource-{}/img/{}/64", dir, v, v));
    LETHE_CHECK(file_exists(vendor_dirs.back()), "emoji images of vendor '{}' not found in {}: {}",
                v, vendor_dirs.back(),
                install_hint(cfg, fmt::format("emoji-datasource-{}@{}", v, kEmojiDatasourceVersion)));
  }

  Dataset ds;
  ds.name = "emoji";
  std::vector<std::string> paths;
  std::vector<std::string> key_parts = {"emoji", std::to_string(cfg.image_size)};
  std::vector<int64_t> images_per_vendor(vendors.size(), 0);
  int64_t unmatched = 0;
  std::string file = emoji_json;  // names the file being interpreted in errors
  try {
    const json emoji = read_json(emoji_json);
    file = data_json;
    const json data = read_json(data_json);
    file = groups_json;
    const json groups = read_json(groups_json);
    const json& group_names = groups.at("groups");
    const json& subgroup_names = groups.at("subgroups");
    file = data_json;
    const auto concepts = read_emojibase(data);
    file = emoji_json;
    std::unordered_map<std::string, int64_t> unit_of_caption;
    for (const auto& variant : read_variants(emoji, cfg.skin_tones)) {
      const json& v = *variant.entry;
      auto it = concepts.find(emoji_key(v.at("unified").get<std::string>()));
      if (it == concepts.end()) {
        ++unmatched;
        continue;
      }
      const Concept& c = it->second;
      std::string caption = c.label;
      std::vector<std::string> tags;
      if (c.tags) tags = c.tags->get<std::vector<std::string>>();
      if (cfg.caption == "label+tags" && !tags.empty()) caption += ", " + join(tags, ", ");

      const std::string image = v.at("image").get<std::string>();
      const std::string stem = image.substr(0, image.rfind('.'));
      std::vector<size_t> available;
      for (size_t k = 0; k < vendors.size(); ++k)
        if (v.value("has_img_" + vendors[k], false) &&
            file_exists(vendor_dirs[k] + "/" + image))
          available.push_back(k);
      if (available.empty()) continue;

      auto [unit_it, fresh] = unit_of_caption.emplace(caption, ds.captions.size());
      if (fresh) {
        if (cfg.limit > 0 && static_cast<int64_t>(ds.captions.size()) >= cfg.limit) {
          unit_of_caption.erase(unit_it);
          continue;
        }
        ds.captions.push_back(caption);
        ds.caption_tags.push_back(tags);
      }
      const int64_t unit = unit_it->second;
      for (size_t k : available) {
        const int64_t id = ds.num_pairs();
        const int64_t image_id = static_cast<int64_t>(paths.size());
        paths.push_back(vendor_dirs[k] + "/" + image);
        key_parts.push_back(file_fingerprint(paths.back()));
        ds.image_ids.push_back(vendors[k] + "/" + stem);
        ds.pairs.push_back({image_id, unit, unit});
        ds.labels["source"].append(vendors[k]);
        ds.labels["group"].append(group_names.at(std::to_string(c.group)).get<std::string>());
        ds.labels["subgroup"].append(subgroup_names.at(std::to_string(c.subgroup)).get<std::string>());
        ds.labels["category"].append(variant.category);
        (k < cfg.train_sources.size() ? ds.train : ds.test).push_back(id);
        ++images_per_vendor[k];
      }
    }
  } catch (const json::exception& e) {
    throw InputError(fmt::format("'{}' has unexpected content: {}", file, e.what()));
  }
  LETHE_CHECK(!paths.empty(), "no emoji images found in {} for vendors {}", dir, join(vendors, ", "));
  ds.images = cached_images(cfg, image_cache_key(key_parts), static_cast<int64_t>(paths.size()),
                            [&] { return load_images(paths, cfg.image_size); });
  std::vector<std::string> counts;
  for (size_t k = 0; k < vendors.size(); ++k)
    counts.push_back(fmt::format("{} {}", vendors[k], images_per_vendor[k]));
  log::info("emoji: {} captions, {} images ({}), {} train / {} test pairs at {}px{}",
            ds.captions.size(), paths.size(), join(counts, ", "), ds.train.size(), ds.test.size(),
            cfg.image_size,
            unmatched ? fmt::format("; {} emoji without an emojibase label skipped", unmatched) : "");
  return ds;
}

}  // namespace lethe::data
