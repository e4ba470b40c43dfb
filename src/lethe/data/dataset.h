#pragma once
// Image–text datasets. A Dataset holds every image once (preprocessed, uint8) and every
// caption once; a Pair joins one image and one caption. Splits, client partitions and forget
// sets are lists of pair ids. The *unit* of a pair is what partitions and forget sets keep
// together: for emoji a caption with all its images (one per vendor), for Karpathy-format data
// an image with all its captions.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lethe/core/config.h"

namespace lethe::data {

struct Pair {
  int64_t image = 0;
  int64_t caption = 0;
  int64_t unit = 0;
};

// A categorical label per pair (e.g. emoji "group", "subgroup", "source"; Fashion-MNIST "class").
struct LabelColumn {
  std::vector<std::string> names;  // category names
  std::vector<int32_t> of_pair;    // category index per pair

  // Appends one pair's category, adding the name on first sight (categories in first-seen order).
  void append(const std::string& category);
};

struct Dataset {
  std::string name;
  // (NI, 3, S, S) uint8 RGB, already resized and centre-cropped (CLIP preprocessing minus the
  // normalisation, which batches apply: see normalize_images()). Read-only: grey sources
  // (Fashion-MNIST) hold a broadcast view of one channel, so never write into it.
  torch::Tensor images;
  std::vector<std::string> image_ids;    // stable id per image, e.g. "google/1f600"
  std::vector<std::string> captions;     // NC caption strings
  std::vector<std::vector<std::string>> caption_tags;  // keywords per caption (may be empty)
  std::vector<Pair> pairs;
  std::map<std::string, LabelColumn> labels;  // must contain "source"
  // Standard split: pair ids for training and for held-out test.
  std::vector<int64_t> train;
  std::vector<int64_t> test;
  // Validation pairs where the source defines them (Karpathy `val`); in neither train nor test.
  std::vector<int64_t> val;

  int64_t num_images() const { return images.size(0); }
  int64_t num_pairs() const { return static_cast<int64_t>(pairs.size()); }
  int64_t num_units() const;
  // Category name of `label` for pair `p`; InputError if the label column does not exist.
  const std::string& label(const std::string& label, int64_t p) const;
  const LabelColumn& label_column(const std::string& label) const;
  // Internal consistency (sizes, index ranges, units dense 0..U-1); Error naming the first problem.
  void check() const;
};

struct DataConfig {
  std::string name = "emoji";           // emoji | emoji-styles | fashion-mnist | shapes | karpathy
  std::string root = "";                // data cache / dataset folder; "" = $LETHE_DATA default
  std::vector<std::string> train_sources = {"google", "twitter", "facebook"};
  std::vector<std::string> test_sources = {"apple"};
  std::vector<std::string> styles = {"openmoji", "fluent-emoji-flat", "emojione"};  // emoji-styles
  int64_t image_size = 32;
  std::string caption = "label";        // emoji: label | label+tags
  bool skin_tones = true;               // emoji: include skin-tone variations
  int64_t limit = 0;                    // keep at most this many units (0 = all); tests, quick runs
  int64_t shapes_train = 2000;          // shapes: units generated for train / test
  int64_t shapes_test = 500;
  int64_t shapes_max_objects = 3;
  std::string karpathy_json = "";      // karpathy: path of dataset_*.json (images beside it)
  bool cache = true;                    // cache decoded images under <root>/cache

  template <class V>
  void visit(V& v) {
    v("name", name, "dataset: emoji | emoji-styles | fashion-mnist | shapes | karpathy")
        .one_of({"emoji", "emoji-styles", "fashion-mnist", "shapes", "karpathy"});
    v("root", root, "data folder (default $LETHE_DATA or ~/.cache/lethe)");
    v("train_sources", train_sources, "emoji vendors used for training");
    v("test_sources", test_sources, "emoji vendors held out for testing");
    v("styles", styles, "emoji-styles: art styles (openmoji, fluent-emoji-flat, emojione)");
    v("image_size", image_size, "square input resolution in pixels").in(8, 1024);
    v("caption", caption, "emoji caption: label | label+tags").one_of({"label", "label+tags"});
    v("skin_tones", skin_tones, "emoji: include skin-tone variations");
    v("limit", limit, "keep at most this many units (0 = all)").min(0);
    v("shapes_train", shapes_train, "shapes: training units").min(1);
    v("shapes_test", shapes_test, "shapes: test units").min(1);
    v("shapes_max_objects", shapes_max_objects, "shapes: at most this many shapes per scene").in(1, 3);
    v("karpathy_json", karpathy_json, "karpathy: path of dataset_flickr30k.json / dataset_coco.json");
    v("cache", cache, "cache decoded images as tensors");
  }
};

// The data folder: cfg.root, else $LETHE_DATA, else $HOME/.cache/lethe.
std::string data_root(const DataConfig& cfg);

// Loads the dataset named by cfg.name (registry in data/registry.h).
Dataset load(const DataConfig& cfg);

// uint8 (N,3,S,S) → float (N,3,S,S) normalised with CLIP's mean and std.
torch::Tensor normalize_images(const torch::Tensor& images_u8);

}  // namespace lethe::data
