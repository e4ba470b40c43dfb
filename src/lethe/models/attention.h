#pragma once
// Multi-head self-attention with nn.MultiheadAttention's parameter layout (in_proj_weight (3w,w),
// in_proj_bias (3w), out_proj.weight (w,w), out_proj.bias (w)), batch-first, with optional LoRA
// on the packed q/k/v projection and on out_proj (names in lora.h).
#include <torch/torch.h>

#include <cstdint>

#include "lethe/models/lora.h"

namespace lethe::models {

struct AttentionOptions {
  AttentionOptions(int64_t width, int64_t heads) : width_(width), heads_(heads) {}
  TORCH_ARG(int64_t, width);
  TORCH_ARG(int64_t, heads);    // must divide width
  TORCH_ARG(LoraSpec, lora) = {};  // adapters when lora.rank > 0 and lora.attn
};

class SelfAttentionImpl : public torch::nn::Module {
 public:
  explicit SelfAttentionImpl(const AttentionOptions& options);
  // x: (N,L,w) → (N,L,w). mask: additive (L,L) (0 = attend, −inf = blocked) or undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {});

  AttentionOptions options;
  torch::Tensor in_proj_weight, in_proj_bias;      // (3w,w), (3w): rows q | k | v
  torch::Tensor in_proj_lora_A, in_proj_lora_B;    // (r,w), (3w,r) or undefined
  LoraLinear out_proj{nullptr};
};
TORCH_MODULE(SelfAttention);

}  // namespace lethe::models
