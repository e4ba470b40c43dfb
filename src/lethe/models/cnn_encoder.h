#pragma once
// Small CNN image encoder for CreamFL's uni-modal image clients (Yu et al., ICLR 2023): clients
// hold heterogeneous, much smaller models than the server's CLIP and train them on their own
// labelled data; the representation (before the class head) is what they share.
//   3 stages of conv{i} (3×3, pad 1) → norm{i} (GroupNorm, 8 groups) → ReLU, widths c, 2c, 4c,
//   the first two followed by 2×2 max-pool; global average pool → proj (4c → embed_dim) = the
//   representation; head (embed_dim → num_classes) = class logits.
// GroupNorm rather than BatchNorm: per-sample, so no running statistics to average across
// clients and the same output in train and eval mode.
#include <torch/torch.h>

#include <cstdint>

namespace lethe::models {

struct CnnImageEncoderOptions {
  CnnImageEncoderOptions(int64_t image_size, int64_t embed_dim, int64_t num_classes)
      : image_size_(image_size), embed_dim_(embed_dim), num_classes_(num_classes) {}
  TORCH_ARG(int64_t, image_size);  // S of the (N,3,S,S) input; >= 4
  TORCH_ARG(int64_t, channels) = 32;  // base width c, a multiple of 8 (GroupNorm groups)
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, num_classes);
};

class CnnImageEncoderImpl : public torch::nn::Module {
 public:
  // Throws InputError on non-positive sizes or channels not a multiple of 8. Initialisation
  // draws from torch's global generator (torch::manual_seed first for a reproducible model).
  explicit CnnImageEncoderImpl(const CnnImageEncoderOptions& options);
  // images: (N,3,S,S) float, normalised, S = image_size → (N, embed_dim), not normalised
  torch::Tensor encode(const torch::Tensor& images);
  // representation: (N, embed_dim) → logits (N, num_classes)
  torch::Tensor classify(const torch::Tensor& representation);

  CnnImageEncoderOptions options;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};  // 3→c→2c→4c
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  torch::nn::Linear proj{nullptr};  // 4c → embed_dim
  torch::nn::Linear head{nullptr};  // embed_dim → num_classes
};
TORCH_MODULE(CnnImageEncoder);

}  // namespace lethe::models
