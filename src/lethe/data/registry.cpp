#include "lethe/data/registry.h"

#include "lethe/data/emoji.h"
#include "lethe/data/emoji_styles.h"
#include "lethe/data/fashion_mnist.h"
#include "lethe/data/karpathy.h"
#include "lethe/data/shapes.h"

namespace lethe::data {

namespace {

void add_builtin_datasets(Registry<DatasetFactory>& r) {
  r.add("emoji", "emoji images of 4 vendors captioned with CLDR labels (npm; train 3 vendors, test apple)",
        load_emoji);
  r.add("emoji-styles",
        "emoji in 3 art styles no client vendor draws (OpenMoji, Fluent, EmojiOne; npm, SVG): "
        "the pretraining corpus",
        load_emoji_styles);
  r.add("fashion-mnist", "Fashion-MNIST, 70,000 grey clothing images with template captions (class-level)",
        load_fashion_mnist);
  r.add("shapes", "procedural coloured shapes on a 3x3 grid with exact captions (no files)", load_shapes);
  r.add("karpathy", "Flickr30K / MS-COCO from a Karpathy-split JSON and its image folder", load_karpathy);
}

}  // namespace

Registry<DatasetFactory>& datasets() {
  static Registry<DatasetFactory> registry("dataset", add_builtin_datasets);
  return registry;
}

Dataset load(const DataConfig& cfg) {
  Dataset ds = datasets().get(cfg.name).factory(cfg);
  ds.check();
  return ds;
}

}  // namespace lethe::data
