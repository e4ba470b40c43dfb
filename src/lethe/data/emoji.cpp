#include "lethe/data/emoji.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
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
  std::vector<std::string> tags;  // of the base emoji (skins have none of their own)
  std::string group, subgroup;
};

// One image-bearing variant from emoji.json: a base emoji or one of its skin variations.
struct Variant {
  std::string key;    // emoji_key of its code points
  std::string image;  // file name, e.g. "1f44b-1f3fb.png"
  std::string category;
  std::vector<bool> has_image;  // per requested vendor
};

std::string install_hint(const DataConfig& cfg, const std::string& packages) {
  return fmt::format("run scripts/setup (npm install --prefix {}/npm {})", data_root(cfg), packages);
}

// Parses `path` and runs `interpret` on it; a missing or mistyped field is an InputError
// naming the file.
template <class F>
auto read_json(const std::string& path, F&& interpret) -> decltype(interpret(json())) {
  json doc;
  try {
    doc = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw InputError(fmt::format("'{}' is not valid JSON: {}", path, e.what()));
  }
  try {
    return interpret(doc);
  } catch (const json::exception& e) {
    throw InputError(fmt::format("'{}' has unexpected content: {}", path, e.what()));
  }
}

// emojibase's entries and skins by code points, with group names from meta/groups.json.
std::unordered_map<std::string, Concept> read_emojibase(const std::string& data_json,
                                                        const std::string& groups_json) {
  using Names = std::map<int, std::string>;
  auto numbered = [&](const json& obj) {
    Names out;
    for (const auto& [k, v] : obj.items()) {
      int id = -1;
      auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), id);
      LETHE_CHECK(ec == std::errc() && end == k.data() + k.size(), "'{}': group id '{}' is not a number",
                  groups_json, k);
      out[id] = v.get<std::string>();
    }
    return out;
  };
  const auto [groups, subgroups] = read_json(groups_json, [&](const json& doc) {
    return std::pair{numbered(doc.at("groups")), numbered(doc.at("subgroups"))};
  });
  auto name = [&](const Names& names, int id, const char* what) {
    auto it = names.find(id);
    LETHE_CHECK(it != names.end(), "'{}' has no name for {} {}", groups_json, what, id);
    return it->second;
  };
  return read_json(data_json, [&](const json& data) {
    std::unordered_map<std::string, Concept> out;
    for (const auto& e : data) {
      // Entries without a group (regional indicators) are not emoji on their own.
      if (!e.contains("group")) continue;
      Concept base{e.at("label").get<std::string>(),
                   e.value("tags", std::vector<std::string>{}),
                   name(groups, e.at("group").get<int>(), "group"),
                   name(subgroups, e.at("subgroup").get<int>(), "subgroup")};
      out.emplace(emoji_key(e.at("hexcode").get<std::string>()), base);
      if (!e.contains("skins")) continue;
      for (const auto& s : e["skins"])
        out.emplace(emoji_key(s.at("hexcode").get<std::string>()),
                    Concept{s.at("label").get<std::string>(), base.tags,
                            s.contains("group") ? name(groups, s["group"].get<int>(), "group") : base.group,
                            s.contains("subgroup") ? name(subgroups, s["subgroup"].get<int>(), "subgroup")
                                                   : base.subgroup});
    }
    return out;
  });
}

// emoji.json's variants in sort_order, each emoji's skin variations right after it.
std::vector<Variant> read_variants(const std::string& emoji_json, bool skin_tones,
                                   const std::vector<std::string>& vendors) {
  return read_json(emoji_json, [&](const json& emoji) {
    std::vector<const json*> entries;
    for (const auto& e : emoji) entries.push_back(&e);
    std::stable_sort(entries.begin(), entries.end(), [](const json* a, const json* b) {
      return a->at("sort_order").get<int64_t>() < b->at("sort_order").get<int64_t>();
    });
    std::vector<Variant> out;
    auto add = [&](const json& v, const std::string& category) {
      Variant var{emoji_key(v.at("unified").get<std::string>()), v.at("image").get<std::string>(),
                  category, {}};
      for (const auto& vendor : vendors) var.has_image.push_back(v.value("has_img_" + vendor, false));
      out.push_back(std::move(var));
    };
    for (const json* e : entries) {
      const std::string category = e->at("category").get<std::string>();
      add(*e, category);
      if (skin_tones && e->contains("skin_variations"))
        for (const auto& [tone, v] : (*e)["skin_variations"].items()) add(v, category);
    }
    return out;
  });
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

  const auto concepts = read_emojibase(data_json, groups_json);
  const auto variants = read_variants(emoji_json, cfg.skin_tones, vendors);

  Dataset ds;
  ds.name = "emoji";
  std::vector<std::string> paths;
  std::vector<std::string> key_parts = {"emoji", std::to_string(cfg.image_size)};
  std::vector<int64_t> images_per_vendor(vendors.size(), 0);
  int64_t unmatched = 0;
  std::unordered_map<std::string, int64_t> unit_of_caption;
  for (const auto& v : variants) {
    auto it = concepts.find(v.key);
    if (it == concepts.end()) {
      ++unmatched;
      continue;
    }
    const Concept& c = it->second;
    std::string caption = c.label;
    if (cfg.caption == "label+tags" && !c.tags.empty()) caption += ", " + join(c.tags, ", ");
    std::vector<size_t> available;
    for (size_t k = 0; k < vendors.size(); ++k)
      if (v.has_image[k] && file_exists(vendor_dirs[k] + "/" + v.image)) available.push_back(k);
    if (available.empty()) continue;

    auto [unit_it, fresh] = unit_of_caption.emplace(caption, ds.captions.size());
    if (fresh) {
      if (cfg.limit > 0 && static_cast<int64_t>(ds.captions.size()) >= cfg.limit) {
        unit_of_caption.erase(unit_it);
        continue;
      }
      ds.captions.push_back(caption);
      ds.caption_tags.push_back(c.tags);
    }
    const int64_t unit = unit_it->second;  // captions and units share indices
    const std::string stem = v.image.substr(0, v.image.rfind('.'));
    for (size_t k : available) {
      const int64_t id = ds.num_pairs();
      const auto image_id = static_cast<int64_t>(paths.size());
      paths.push_back(vendor_dirs[k] + "/" + v.image);
      key_parts.push_back(file_fingerprint(paths.back()));
      ds.image_ids.push_back(vendors[k] + "/" + stem);
      ds.pairs.push_back({image_id, unit, unit});
      ds.labels["source"].append(vendors[k]);
      ds.labels["group"].append(c.group);
      ds.labels["subgroup"].append(c.subgroup);
      ds.labels["category"].append(v.category);
      (k < cfg.train_sources.size() ? ds.train : ds.test).push_back(id);
      ++images_per_vendor[k];
    }
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
