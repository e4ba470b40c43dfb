#include "lethe/creamfl/partition.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/rng.h"
#include "lethe/data/partition.h"

namespace lethe::creamfl {

const char* kind_name(PartyKind kind) {
  switch (kind) {
    case PartyKind::kPaired: return "paired";
    case PartyKind::kImage: return "image";
    case PartyKind::kText: return "text";
    case PartyKind::kFashion: return "fashion";
  }
  return "?";
}

namespace {

// Distinct images (or captions) of `pairs` with the label of the first pair naming each.
PartyData unimodal(PartyKind kind, std::string name, const data::Dataset& ds,
                   const std::vector<int64_t>& pairs, const data::LabelColumn& column) {
  std::map<int64_t, int64_t> label_of;
  for (int64_t p : pairs) {
    const auto& pr = ds.pairs[p];
    label_of.emplace(kind == PartyKind::kText ? pr.caption : pr.image, column.of_pair[p]);
  }
  PartyData d{kind, std::move(name), {}, {}, {}};
  for (const auto& [item, label] : label_of) d.items.push_back(item), d.labels.push_back(label);
  d.pairs = pairs;
  std::sort(d.pairs.begin(), d.pairs.end());
  return d;
}

std::vector<PartyData> emoji_parties(const CreamConfig& cfg, const fl::FlConfig& fl,
                                     const data::Dataset& ds, const std::vector<int64_t>& pairs,
                                     uint64_t seed) {
  const int64_t n = cfg.paired_clients + cfg.image_clients + cfg.text_clients;
  if (n == 0) return {};
  data::PartitionSpec spec;
  spec.kind = fl.partition;
  spec.clients = n;
  spec.label = fl.partition_label;
  spec.alpha = fl.alpha;
  spec.min_units = fl.min_units_per_client;
  spec.val_fraction = 0.0;
  spec.seed = seed;
  const auto split = data::make_partition(ds, pairs, spec);
  const auto& column = ds.label_column(cfg.class_label);
  std::vector<PartyData> out;
  for (int64_t k = 0; k < n; ++k) {
    const auto& train = split.clients[k].train;
    if (k < cfg.paired_clients) {
      auto pairs = train;
      std::sort(pairs.begin(), pairs.end());
      out.push_back({PartyKind::kPaired, "paired_" + std::to_string(k), pairs, {}, pairs});
    } else if (k < cfg.paired_clients + cfg.image_clients) {
      out.push_back(unimodal(PartyKind::kImage, "image_" + std::to_string(k - cfg.paired_clients),
                             ds, train, column));
    } else {
      const int64_t t = k - cfg.paired_clients - cfg.image_clients;
      out.push_back(unimodal(PartyKind::kText, "text_" + std::to_string(t), ds, train, column));
    }
  }
  return out;
}

// Fashion-MNIST training images dealt to the fashion clients in shuffled, near-equal chunks.
std::vector<PartyData> fashion_parties(const CreamConfig& cfg, const data::Dataset& fm,
                                       uint64_t seed) {
  const auto& column = fm.label_column("class");
  const auto n = static_cast<int64_t>(fm.train.size());
  LETHE_CHECK(n >= cfg.fashion_clients, "creamfl: {} Fashion-MNIST images cannot give {} clients one each",
              n, cfg.fashion_clients);
  auto engine = make_engine(seed, 0, -2, Stream::kPartition);
  const auto perm = permutation(n, engine);
  std::vector<std::vector<int64_t>> chunks(cfg.fashion_clients);
  for (int64_t i = 0; i < n; ++i) chunks[i * cfg.fashion_clients / n].push_back(fm.train[perm[i]]);
  std::vector<PartyData> out;
  for (int64_t k = 0; k < cfg.fashion_clients; ++k)
    out.push_back(unimodal(PartyKind::kFashion, "fashion_" + std::to_string(k), fm, chunks[k], column));
  return out;
}

}  // namespace

CreamPartition make_cream_partition(const CreamConfig& cfg, const fl::FlConfig& fl,
                                    const data::Dataset& emoji, const data::Dataset* fashion,
                                    uint64_t seed) {
  LETHE_CHECK(cfg.fashion_clients == 0 || fashion, "creamfl: fashion clients need Fashion-MNIST");
  // Units of the training split in a seeded order.
  std::map<int64_t, std::vector<int64_t>> by_unit;
  for (int64_t p : emoji.train) by_unit[emoji.pairs[p].unit].push_back(p);
  std::vector<const std::vector<int64_t>*> units;
  for (const auto& [u, ps] : by_unit) units.push_back(&ps);
  auto engine = make_engine(seed, 0, -1, Stream::kPartition);
  const auto perm = permutation(static_cast<int64_t>(units.size()), engine);
  const auto n_units = static_cast<int64_t>(units.size());
  const auto n_val = static_cast<int64_t>(cfg.val_fraction * double(n_units) + 0.5);
  const auto n_pub = static_cast<int64_t>(cfg.public_fraction * double(n_units) + 0.5);
  LETHE_CHECK(n_pub >= 2 && n_val + n_pub < n_units,
              "creamfl: {} training units cannot give a public set of {} units, a validation gallery "
              "of {} and clients the rest",
              n_units, n_pub, n_val);
  CreamPartition out;
  std::vector<int64_t> rest;
  for (int64_t i = 0; i < n_units; ++i) {
    const auto& ps = *units[perm[i]];
    auto& dst = i < n_val ? out.val_pairs
                : i < n_val + n_pub && (cfg.public_limit == 0 ||
                                        int64_t(out.public_pairs.size() + ps.size()) <= cfg.public_limit)
                    ? out.public_pairs
                    : rest;
    dst.insert(dst.end(), ps.begin(), ps.end());
  }
  LETHE_CHECK(out.public_pairs.size() >= 2, "creamfl: public_limit = {} leaves fewer than 2 public pairs",
              cfg.public_limit);
  for (auto* v : {&out.public_pairs, &out.val_pairs, &rest}) std::sort(v->begin(), v->end());
  out.parties = emoji_parties(cfg, fl, emoji, rest, seed);
  out.emoji_classes = static_cast<int64_t>(emoji.label_column(cfg.class_label).names.size());
  if (cfg.fashion_clients > 0) {
    auto fm = fashion_parties(cfg, *fashion, seed);
    out.parties.insert(out.parties.end(), fm.begin(), fm.end());
    out.fashion_classes = static_cast<int64_t>(fashion->label_column("class").names.size());
  }
  return out;
}

CreamPartition without_pairs(const CreamPartition& part, const data::Dataset& emoji,
                             const std::string& class_label, const std::vector<int64_t>& forget,
                             const data::Dataset* fashion, const std::vector<int64_t>& fashion_forget) {
  LETHE_CHECK(fashion_forget.empty() || fashion, "creamfl: forgetting Fashion-MNIST pairs needs Fashion-MNIST");
  const auto minus = [](const std::vector<int64_t>& ids, const std::vector<int64_t>& gone) {
    std::vector<int64_t> out;
    std::set_difference(ids.begin(), ids.end(), gone.begin(), gone.end(), std::back_inserter(out));
    return out;
  };
  CreamPartition out = part;
  out.public_pairs = minus(part.public_pairs, forget);
  const auto& column = emoji.label_column(class_label);
  for (auto& d : out.parties) {
    if (d.kind == PartyKind::kFashion) {
      if (!fashion_forget.empty())
        d = unimodal(d.kind, d.name, *fashion, minus(d.pairs, fashion_forget), fashion->label_column("class"));
      continue;
    }
    const auto kept = minus(d.pairs, forget);
    d = d.kind == PartyKind::kPaired ? PartyData{d.kind, d.name, kept, {}, kept}
                                     : unimodal(d.kind, d.name, emoji, kept, column);
  }
  return out;
}

nlohmann::json to_json(const CreamPartition& p) {
  nlohmann::json parties = nlohmann::json::array();
  for (const auto& d : p.parties)
    parties.push_back({{"name", d.name}, {"kind", kind_name(d.kind)}, {"items", d.items},
                       {"labels", d.labels}});
  return {{"public_pairs", p.public_pairs}, {"val_pairs", p.val_pairs}, {"parties", parties},
          {"emoji_classes", p.emoji_classes}, {"fashion_classes", p.fashion_classes}};
}

}  // namespace lethe::creamfl
