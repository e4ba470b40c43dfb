#include "lethe/train/batches.h"

#include "lethe/core/rng.h"

namespace lethe::train {

std::vector<std::vector<int64_t>> epoch_batches(const std::vector<int64_t>& pair_ids,
                                                int64_t batch_size, std::mt19937_64& rng) {
  auto perm = permutation(static_cast<int64_t>(pair_ids.size()), rng);
  std::vector<std::vector<int64_t>> out;
  for (size_t s = 0; s < perm.size(); s += batch_size) {
    size_t e = std::min(perm.size(), s + batch_size);
    if (e - s < 2) break;
    std::vector<int64_t> b;
    b.reserve(e - s);
    for (size_t i = s; i < e; ++i) b.push_back(pair_ids[perm[i]]);
    out.push_back(std::move(b));
  }
  return out;
}

torch::Tensor shift_images(const torch::Tensor& images, int64_t shift, std::mt19937_64& rng) {
  // Pad with white, then gather a shifted S×S window per sample.
  const int64_t b = images.size(0), s = images.size(2), pad = shift;
  auto padded = torch::constant_pad_nd(images, {pad, pad, pad, pad}, 255);
  std::vector<int64_t> dy(b), dx(b);
  for (int64_t i = 0; i < b; ++i) {
    dy[i] = static_cast<int64_t>(uniform_index(2 * pad + 1, rng));
    dx[i] = static_cast<int64_t>(uniform_index(2 * pad + 1, rng));
  }
  auto base = torch::arange(s, torch::kLong);
  auto rows = base.unsqueeze(0) + torch::tensor(dy, torch::kLong).unsqueeze(1);  // (B,S)
  auto cols = base.unsqueeze(0) + torch::tensor(dx, torch::kLong).unsqueeze(1);
  auto bi = torch::arange(b, torch::kLong).view({b, 1, 1, 1});
  auto ci = torch::arange(images.size(1), torch::kLong).view({1, -1, 1, 1});
  return padded.index({bi, ci, rows.view({b, 1, s, 1}), cols.view({b, 1, 1, s})});
}

BatchMaker::BatchMaker(const data::Dataset& ds, torch::Tensor tokens, int64_t shift)
    : ds_(ds), tokens_(std::move(tokens)), shift_(shift) {}

Batch BatchMaker::make(const std::vector<int64_t>& pair_ids, std::mt19937_64* rng) const {
  const int64_t b = static_cast<int64_t>(pair_ids.size());
  std::vector<int64_t> img(b), cap(b), grp(b);
  for (int64_t i = 0; i < b; ++i) {
    const auto& p = ds_.pairs[pair_ids[i]];
    img[i] = p.image, cap[i] = p.caption, grp[i] = p.unit;
  }
  auto images = ds_.images.index_select(0, torch::tensor(img, torch::kLong));
  if (rng && shift_ > 0) images = shift_images(images, shift_, *rng);
  return {data::normalize_images(images), tokens_.index_select(0, torch::tensor(cap, torch::kLong)),
          torch::tensor(grp, torch::kLong)};
}

}  // namespace lethe::train
