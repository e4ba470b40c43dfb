#include "lethe/data/karpathy.h"

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

// A tiny Karpathy-format dataset: image k is a solid 20×30 PNG of grey level 40·k with five
// captions "image k caption s". With `filepath`, images live in <images>/<filepath>/ (COCO).
json fixture(const fs::path& image_dir, const std::vector<std::string>& splits,
             const std::string& filepath = "") {
  json doc = {{"dataset", "flickr30k"}, {"images", json::array()}};
  for (size_t k = 0; k < splits.size(); ++k) {
    const std::string filename = fmt::format("{}.png", 1000 + k);
    auto level = static_cast<uint8_t>(40 * k);
    testing::write_solid_png(image_dir / filepath / filename, 30, 20, level, level, level);
    json img = {{"filename", filename}, {"split", splits[k]}, {"imgid", k}};
    if (!filepath.empty()) img["filepath"] = filepath;
    for (int s = 0; s < 5; ++s)
      img["sentences"].push_back({{"raw", fmt::format(" image {} caption {} ", k, s)},
                                  {"tokens", {"image"}}});
    doc["images"].push_back(img);
  }
  return doc;
}

DataConfig config_for(const fs::path& json_path) {
  DataConfig cfg;
  cfg.name = "karpathy";
  cfg.karpathy_json = json_path.string();
  cfg.root = (json_path.parent_path() / "root").string();
  cfg.image_size = 16;
  return cfg;
}

std::string error_of(const DataConfig& cfg) {
  try {
    load_karpathy(cfg);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

TEST(Karpathy, LoadsImagesWithAllTheirCaptions) {
  auto dir = testing::temp_dir();
  auto doc = fixture(dir / "images", {"train", "restval", "val", "test", "train"});
  write_file_atomic((dir / "dataset_flickr30k.json").string(), doc.dump());
  auto ds = load_karpathy(config_for(dir / "dataset_flickr30k.json"));
  EXPECT_NO_THROW(ds.check());
  EXPECT_EQ(ds.images.sizes().vec(), std::vector<int64_t>({5, 3, 16, 16}));
  EXPECT_EQ(ds.num_pairs(), 25);
  EXPECT_EQ(ds.num_units(), 5);
  EXPECT_EQ(ds.captions.size(), 25u);
  EXPECT_EQ(ds.image_ids[3], "1003.png");
  EXPECT_EQ(ds.captions[7], "image 1 caption 2") << "captions are trimmed";
  for (int64_t p = 0; p < 25; ++p) {
    EXPECT_EQ(ds.pairs[p].image, p / 5);
    EXPECT_EQ(ds.pairs[p].unit, p / 5) << "all captions of an image form one unit";
    EXPECT_EQ(ds.label("source", p), "flickr30k");
  }
  auto range = [](int64_t a, int64_t b) {
    std::vector<int64_t> v;
    for (int64_t i = a; i < b; ++i) v.push_back(i);
    return v;
  };
  auto train = range(0, 10);
  auto last = range(20, 25);
  train.insert(train.end(), last.begin(), last.end());
  EXPECT_EQ(ds.train, train) << "train and restval";
  EXPECT_EQ(ds.val, range(10, 15));
  EXPECT_EQ(ds.test, range(15, 20));
  for (int k = 0; k < 5; ++k) EXPECT_TRUE(ds.images[k].eq(40 * k).all().item<bool>()) << k;

  auto cfg = config_for(dir / "dataset_flickr30k.json");
  cfg.limit = 1;
  auto small = load_karpathy(cfg);
  EXPECT_EQ(small.num_units(), 3) << "one image per split";
  EXPECT_EQ(small.image_ids, std::vector<std::string>({"1000.png", "1002.png", "1003.png"}));
}

TEST(Karpathy, FilepathWithoutAnImagesFolder) {
  auto dir = testing::temp_dir();
  auto doc = fixture(dir, {"train", "test"}, "val2014");
  doc.erase("dataset");
  write_file_atomic((dir / "dataset_coco.json").string(), doc.dump());
  auto ds = load_karpathy(config_for(dir / "dataset_coco.json"));
  EXPECT_EQ(ds.image_ids, std::vector<std::string>({"val2014/1000.png", "val2014/1001.png"}));
  EXPECT_EQ(ds.label("source", 0), "karpathy");
  EXPECT_TRUE(ds.images[1].eq(40).all().item<bool>());
}

TEST(Karpathy, SecondLoadComesFromTheCache) {
  auto dir = testing::temp_dir();
  write_file_atomic((dir / "d.json").string(), fixture(dir / "images", {"train", "test"}).dump());
  auto cfg = config_for(dir / "d.json");
  const auto before = image_cache_stats();
  auto first = load_karpathy(cfg);
  auto second = load_karpathy(cfg);
  const auto after = image_cache_stats();
  EXPECT_EQ(after.builds - before.builds, 1);
  EXPECT_EQ(after.hits - before.hits, 1);
  EXPECT_TRUE(first.images.equal(second.images));
  // Another image size is another cache entry.
  cfg.image_size = 8;
  load_karpathy(cfg);
  EXPECT_EQ(image_cache_stats().builds - after.builds, 1);
}

TEST(Karpathy, ErrorsNameTheFileAndTheImage) {
  auto dir = testing::temp_dir();
  const auto path = dir / "d.json";
  const std::string p = path.string();
  auto cfg = config_for(path);
  auto write = [&](const json& doc) { write_file_atomic(p, doc.dump()); };
  auto base = fixture(dir / "images", {"train", "test"});

  EXPECT_THAT(error_of(cfg), HasSubstr("cannot read file '" + p + "'"));
  write_file_atomic(p, "{\"images\": [");
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + p + "' is not valid JSON: "));
  write(json{{"dataset", "x"}});
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + p + "' has no 'images' array"));
  write(json{{"images", json::array()}});
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + p + "' lists no images"));

  auto doc = base;
  doc["images"][1].erase("filename");
  write(doc);
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + p + "' image 1: missing 'filename'"));
  doc = base;
  doc["images"][0]["split"] = 3;
  write(doc);
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + p + "' image 0: 'split' must be a string, got number"));
  doc = base;
  doc["images"][1]["split"] = "dev";
  write(doc);
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + p + "' image 1: unknown split 'dev'; valid: train, restval, val, test"));
  doc = base;
  doc["images"][1]["filename"] = "nope.jpg";
  write(doc);
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + p + "' image 1: file '" + (dir / "images" / "nope.jpg").string() + "' not found"));
  doc = base;
  doc["images"][0]["sentences"] = json::array();
  write(doc);
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + p + "' image 0: 'sentences' must be a non-empty array"));
  doc = base;
  doc["images"][1]["sentences"][3] = {{"tokens", {"a"}}};
  write(doc);
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + p + "' image 1: sentence 3 has no string 'raw'"));
  doc = base;
  doc["images"][1] = "x.png";
  write(doc);
  EXPECT_THAT(error_of(cfg), HasSubstr("'" + p + "' image 1: expected an object, got string"));

  write(base);
  write_file_atomic((dir / "images" / "1001.png").string(), "not a png");
  EXPECT_THAT(error_of(cfg), HasSubstr("image '" + (dir / "images" / "1001.png").string() +
                                       "' is not a valid PNG/JPEG: "));
  cfg.karpathy_json = "";
  EXPECT_THAT(error_of(cfg), HasSubstr("dataset 'karpathy' needs data.karpathy_json"));
}

}  // namespace
}  // namespace lethe::data
