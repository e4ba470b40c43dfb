#include "lethe/data/dataset.h"

#include <algorithm>
#include <cstdlib>

#include "lethe/core/error.h"
#include "lethe/core/strings.h"

namespace lethe::data {

void LabelColumn::append(const std::string& category) {
  auto it = std::find(names.begin(), names.end(), category);
  if (it == names.end()) it = names.insert(names.end(), category);
  of_pair.push_back(static_cast<int32_t>(it - names.begin()));
}

int64_t Dataset::num_units() const {
  int64_t max_unit = -1;
  for (const auto& p : pairs) max_unit = std::max(max_unit, p.unit);
  return max_unit + 1;
}

const LabelColumn& Dataset::label_column(const std::string& label) const {
  auto it = labels.find(label);
  if (it == labels.end()) {
    std::vector<std::string> valid;
    for (const auto& [k, v] : labels) valid.push_back(k);
    throw InputError(fmt::format("dataset '{}' has no label '{}'{}; valid: {}", name, label,
                                 did_you_mean(label, valid), join(valid, ", ")));
  }
  return it->second;
}

const std::string& Dataset::label(const std::string& label, int64_t p) const {
  const auto& col = label_column(label);
  LETHE_CHECK(p >= 0 && p < num_pairs(), "pair {} is out of range: dataset '{}' has {} pairs", p,
              name, num_pairs());
  return col.names[col.of_pair[p]];
}

void Dataset::check() const {
  const int64_t ni = images.defined() ? images.size(0) : 0;
  const int64_t nc = static_cast<int64_t>(captions.size());
  LETHE_ENSURE(!images.defined() || (images.dim() == 4 && images.size(1) == 3 &&
                                     images.scalar_type() == torch::kUInt8),
               "dataset '{}': images must be (N,3,S,S) uint8, got {} {}", name,
               fmt::join(images.sizes(), "x"), c10::toString(images.scalar_type()));
  LETHE_ENSURE(static_cast<int64_t>(image_ids.size()) == ni,
               "dataset '{}': {} image ids for {} images", name, image_ids.size(), ni);
  LETHE_ENSURE(static_cast<int64_t>(caption_tags.size()) == nc,
               "dataset '{}': {} tag lists for {} captions", name, caption_tags.size(), nc);
  std::vector<bool> unit_seen;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& p = pairs[i];
    LETHE_ENSURE(p.image >= 0 && p.image < ni && p.caption >= 0 && p.caption < nc && p.unit >= 0,
                 "dataset '{}': pair {} = (image {}, caption {}, unit {}) is out of range", name,
                 i, p.image, p.caption, p.unit);
    if (p.unit >= static_cast<int64_t>(unit_seen.size())) unit_seen.resize(p.unit + 1);
    unit_seen[p.unit] = true;
  }
  auto gap = std::find(unit_seen.begin(), unit_seen.end(), false);
  LETHE_ENSURE(gap == unit_seen.end(), "dataset '{}': unit {} has no pairs (units must be dense)",
               name, gap - unit_seen.begin());
  LETHE_ENSURE(labels.count("source"), "dataset '{}' has no 'source' label", name);
  for (const auto& [k, col] : labels) {
    LETHE_ENSURE(col.of_pair.size() == pairs.size(), "dataset '{}': label '{}' has {} entries for {} pairs",
                 name, k, col.of_pair.size(), pairs.size());
    for (int32_t c : col.of_pair)
      LETHE_ENSURE(c >= 0 && c < static_cast<int32_t>(col.names.size()),
                   "dataset '{}': label '{}' category {} is out of range", name, k, c);
  }
  for (const auto* split : {&train, &test, &val})
    for (int64_t p : *split)
      LETHE_ENSURE(p >= 0 && p < num_pairs(), "dataset '{}': split pair {} is out of range", name, p);
}

std::string data_root(const DataConfig& cfg) {
  if (!cfg.root.empty()) return cfg.root;
  if (const char* env = std::getenv("LETHE_DATA"); env && *env) return env;
  const char* home = std::getenv("HOME");
  LETHE_CHECK(home && *home, "no data folder: set data.root or $LETHE_DATA ($HOME is not set)");
  return std::string(home) + "/.cache/lethe";
}

}  // namespace lethe::data
