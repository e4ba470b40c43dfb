#pragma once
// Who holds what in a CreamFL federation (DATA.md §5 "modality"): the public paired set P, the
// server's validation gallery, and the private data of every client by kind — paired clients
// (emoji pairs), image-only clients (emoji images labelled by cfg.class_label), text-only
// clients (emoji captions, same labels) and image-only Fashion-MNIST clients (by class).
//
// Emoji training units are shuffled once (seeded): the first val_fraction go to the validation
// gallery, the next public_fraction to P, the rest are split among the emoji clients with the
// [fl] partitioner (iid or dirichlet over fl.partition_label). No unit is in two places.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "lethe/creamfl/creamfl_config.h"
#include "lethe/data/dataset.h"
#include "lethe/fl/fl_config.h"

namespace lethe::creamfl {

enum class PartyKind { kPaired, kImage, kText, kFashion };
const char* kind_name(PartyKind kind);

struct PartyData {
  PartyKind kind = PartyKind::kPaired;
  std::string name;             // "paired_0", "image_1", "text_0", "fashion_1"
  // paired: emoji pair ids; image: emoji image ids; text: emoji caption ids; fashion: image ids
  // of the Fashion-MNIST dataset. Ascending.
  std::vector<int64_t> items;
  std::vector<int64_t> labels;  // uni-modal kinds: class index per item
  // The training pair ids its items come from, of its dataset (a uni-modal party holds one side
  // of each; a Fashion-MNIST pair is one image). Ascending. Not in partition.json.
  std::vector<int64_t> pairs;
  bool has_image() const { return kind != PartyKind::kText; }
  bool has_text() const { return kind == PartyKind::kPaired || kind == PartyKind::kText; }
};

struct CreamPartition {
  std::vector<int64_t> public_pairs;  // P, emoji pair ids, ascending
  std::vector<int64_t> val_pairs;     // the server's validation gallery
  std::vector<PartyData> parties;     // client id = index: paired, image, text, fashion
  int64_t emoji_classes = 0;          // categories of cfg.class_label
  int64_t fashion_classes = 0;
};

// InputError when the data cannot give every client its share (e.g. too few units).
// `fashion` may be null when cfg.fashion_clients = 0.
CreamPartition make_cream_partition(const CreamConfig& cfg, const fl::FlConfig& fl,
                                    const data::Dataset& emoji, const data::Dataset* fashion,
                                    uint64_t seed);

// The partition after a deletion request: the pairs `forget` (emoji pair ids, ascending) leave
// P and every emoji party; a uni-modal party keeps an image (caption) while any of its pairs
// that show it remains, with its label recomputed from `class_label`. The Fashion-MNIST pairs
// `fashion_forget` (ascending) leave the fashion parties (`fashion`: their dataset, needed when
// it is not empty). The validation gallery is unchanged.
CreamPartition without_pairs(const CreamPartition& part, const data::Dataset& emoji,
                             const std::string& class_label, const std::vector<int64_t>& forget,
                             const data::Dataset* fashion = nullptr,
                             const std::vector<int64_t>& fashion_forget = {});

// The manifest written to <run>/partition.json: every list above, by name.
nlohmann::json to_json(const CreamPartition& p);

}  // namespace lethe::creamfl
