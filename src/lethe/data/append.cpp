#include "lethe/data/append.h"

#include <set>

#include "lethe/core/error.h"

namespace lethe::data {

Dataset append(const Dataset& a, const Dataset& b) {
  LETHE_CHECK(a.images.sizes().slice(1) == b.images.sizes().slice(1),
              "cannot append dataset '{}' ({}) to '{}' ({}): their images differ in size", b.name,
              fmt::join(b.images.sizes(), "x"), a.name, fmt::join(a.images.sizes(), "x"));
  Dataset out;
  out.name = a.name + "+" + b.name;
  out.images = torch::cat({a.images, b.images.contiguous()});
  out.image_ids = a.image_ids;
  out.image_ids.insert(out.image_ids.end(), b.image_ids.begin(), b.image_ids.end());
  out.captions = a.captions;
  out.captions.insert(out.captions.end(), b.captions.begin(), b.captions.end());
  out.caption_tags = a.caption_tags;
  out.caption_tags.resize(a.captions.size());
  out.caption_tags.insert(out.caption_tags.end(), b.caption_tags.begin(), b.caption_tags.end());
  out.caption_tags.resize(out.captions.size());
  const int64_t images = a.num_images(), captions = static_cast<int64_t>(a.captions.size()),
                units = a.num_units();
  out.pairs = a.pairs;
  for (const auto& p : b.pairs) out.pairs.push_back({p.image + images, p.caption + captions, p.unit + units});
  std::set<std::string> columns;
  for (const auto* ds : {&a, &b})
    for (const auto& [name, col] : ds->labels) columns.insert(name);
  for (const auto& name : columns) {
    auto& col = out.labels[name];
    const auto in_a = a.labels.find(name), in_b = b.labels.find(name);
    if (in_a != a.labels.end()) {
      col = in_a->second;
    } else {
      for (int64_t p = 0; p < a.num_pairs(); ++p) col.append(a.name);
    }
    for (int64_t p = 0; p < b.num_pairs(); ++p)
      col.append(in_b == b.labels.end() ? b.name : in_b->second.names[in_b->second.of_pair[p]]);
  }
  out.train = a.train;
  out.test = a.test;
  out.val = a.val;
  out.check();
  return out;
}

}  // namespace lethe::data
