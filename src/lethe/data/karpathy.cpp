#include "lethe/data/karpathy.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/strings.h"
#include "lethe/data/cache.h"
#include "lethe/data/image.h"

namespace lethe::data {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

enum class Split { kTrain, kVal, kTest };

struct Entry {
  std::string id;  // [filepath/]filename
  std::string path;
  Split split;
  std::vector<std::string> sentences;
};

// A string field of image `i`; InputError naming the file, the image and the field.
std::string string_field(const json& img, const char* key, const std::string& file, size_t i,
                         bool required) {
  auto it = img.find(key);
  if (it == img.end()) {
    LETHE_CHECK(!required, "'{}' image {}: missing '{}'", file, i, key);
    return "";
  }
  LETHE_CHECK(it->is_string(), "'{}' image {}: '{}' must be a string, got {}", file, i, key,
              it->type_name());
  return it->get<std::string>();
}

Entry parse_entry(const json& img, const std::string& file, const fs::path& image_dir, size_t i) {
  LETHE_CHECK(img.is_object(), "'{}' image {}: expected an object, got {}", file, i, img.type_name());
  Entry e;
  const std::string filename = string_field(img, "filename", file, i, true);
  const std::string filepath = string_field(img, "filepath", file, i, false);
  const std::string split = string_field(img, "split", file, i, true);
  if (split == "train" || split == "restval")
    e.split = Split::kTrain;
  else if (split == "val")
    e.split = Split::kVal;
  else if (split == "test")
    e.split = Split::kTest;
  else
    throw InputError(fmt::format("'{}' image {}: unknown split '{}'; valid: train, restval, val, test",
                                 file, i, split));
  e.id = filepath.empty() ? filename : filepath + "/" + filename;
  e.path = (image_dir / e.id).string();
  LETHE_CHECK(file_exists(e.path), "'{}' image {}: file '{}' not found", file, i, e.path);
  auto sentences = img.find("sentences");
  LETHE_CHECK(sentences != img.end() && sentences->is_array() && !sentences->empty(),
              "'{}' image {}: 'sentences' must be a non-empty array", file, i);
  for (size_t s = 0; s < sentences->size(); ++s) {
    const auto& sent = (*sentences)[s];
    LETHE_CHECK(sent.is_object() && sent.contains("raw") && sent["raw"].is_string(),
                "'{}' image {}: sentence {} has no string 'raw'", file, i, s);
    e.sentences.push_back(trim(sent["raw"].get<std::string>()));
  }
  return e;
}

}  // namespace

Dataset load_karpathy(const DataConfig& cfg) {
  const std::string& file = cfg.karpathy_json;
  LETHE_CHECK(!file.empty(), "dataset 'karpathy' needs data.karpathy_json (the path of "
                             "dataset_flickr30k.json or dataset_coco.json)");
  json doc;
  try {
    doc = json::parse(read_file(file));
  } catch (const json::exception& e) {
    throw InputError(fmt::format("'{}' is not valid JSON: {}", file, e.what()));
  }
  LETHE_CHECK(doc.is_object() && doc.contains("images") && doc["images"].is_array(),
              "'{}' has no 'images' array", file);
  const fs::path dir = fs::path(file).parent_path();
  const fs::path image_dir = fs::is_directory(dir / "images") ? dir / "images" : dir;

  std::vector<Entry> entries;
  int64_t per_split[3] = {0, 0, 0};
  const auto& images = doc["images"];
  for (size_t i = 0; i < images.size(); ++i) {
    Entry e = parse_entry(images[i], file, image_dir, i);
    auto& n = per_split[static_cast<int>(e.split)];
    if (cfg.limit > 0 && n >= cfg.limit) continue;
    ++n;
    entries.push_back(std::move(e));
  }

  LETHE_CHECK(!entries.empty(), "'{}' lists no images", file);
  Dataset ds;
  ds.name = "karpathy";
  const std::string source =
      doc.contains("dataset") && doc["dataset"].is_string() ? doc["dataset"].get<std::string>() : "karpathy";
  std::vector<std::string> key_parts = {"karpathy", std::to_string(cfg.image_size),
                                        file_fingerprint(file)};
  std::vector<std::string> paths;
  for (size_t u = 0; u < entries.size(); ++u) {
    const auto& e = entries[u];
    const auto image = static_cast<int64_t>(u);
    ds.image_ids.push_back(e.id);
    paths.push_back(e.path);
    key_parts.push_back(file_fingerprint(e.path));
    for (const auto& sentence : e.sentences) {
      const int64_t id = ds.num_pairs();
      ds.pairs.push_back({image, static_cast<int64_t>(ds.captions.size()), image});
      ds.captions.push_back(sentence);
      ds.caption_tags.emplace_back();
      ds.labels["source"].append(source);
      (e.split == Split::kTrain ? ds.train : e.split == Split::kVal ? ds.val : ds.test).push_back(id);
    }
  }
  ds.images = cached_images(cfg, image_cache_key(key_parts), static_cast<int64_t>(paths.size()),
                            [&] { return load_images(paths, cfg.image_size); });
  log::info("karpathy ({}): {} train, {} val and {} test images with {} captions from {}", source,
            per_split[0], per_split[1], per_split[2], ds.captions.size(), file);
  return ds;
}

}  // namespace lethe::data
