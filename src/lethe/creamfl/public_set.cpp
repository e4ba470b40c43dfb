#include "lethe/creamfl/public_set.h"

#include "lethe/core/error.h"

namespace lethe::creamfl {

PublicSet::PublicSet(const data::Dataset& ds, torch::Tensor tokens, std::vector<int64_t> pairs)
    : ds_(ds), all_tokens_(std::move(tokens)), pairs_(std::move(pairs)) {
  LETHE_CHECK(!pairs_.empty(), "creamfl: the public set is empty");
  std::vector<int64_t> img, cap, unit;
  for (int64_t p : pairs_) {
    LETHE_CHECK(p >= 0 && p < ds.num_pairs(), "creamfl: public pair {} is out of range", p);
    img.push_back(ds.pairs[p].image), cap.push_back(ds.pairs[p].caption), unit.push_back(ds.pairs[p].unit);
  }
  image_ids_ = torch::tensor(img, torch::kLong);
  caption_ids_ = torch::tensor(cap, torch::kLong);
  units_ = torch::tensor(unit, torch::kLong);
}

torch::Tensor PublicSet::images(const torch::Tensor& idx) const {
  return data::normalize_images(ds_.images.index_select(0, image_ids_.index_select(0, idx)));
}

torch::Tensor PublicSet::tokens(const torch::Tensor& idx) const {
  return all_tokens_.index_select(0, caption_ids_.index_select(0, idx));
}

}  // namespace lethe::creamfl
