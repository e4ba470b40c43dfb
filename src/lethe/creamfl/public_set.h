#pragma once
// The public paired set P every CreamFL party sees, and the representations exchanged on it.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "lethe/data/dataset.h"

namespace lethe::creamfl {

class PublicSet {
 public:
  // pairs: pair ids of `ds`; tokens: (NC,L) tokens of every caption of `ds`.
  PublicSet(const data::Dataset& ds, torch::Tensor tokens, std::vector<int64_t> pairs);
  int64_t size() const { return static_cast<int64_t>(pairs_.size()); }
  const std::vector<int64_t>& pairs() const { return pairs_; }
  const torch::Tensor& units() const { return units_; }  // (|P|) int64: same unit, not a negative
  // Public samples idx (B) int64 → CLIP-normalised images (B,3,S,S), no augmentation.
  torch::Tensor images(const torch::Tensor& idx) const;
  // → tokens (B,L) int64.
  torch::Tensor tokens(const torch::Tensor& idx) const;

 private:
  const data::Dataset& ds_;
  torch::Tensor all_tokens_;
  std::vector<int64_t> pairs_;
  torch::Tensor image_ids_, caption_ids_, units_;
};

// Representations of every public sample: (|P|,D) float, unit-norm rows; undefined for a
// modality the party does not have.
struct Representations {
  torch::Tensor image, text;
};

}  // namespace lethe::creamfl
