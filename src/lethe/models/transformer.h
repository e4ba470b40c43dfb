#pragma once
// Pre-LayerNorm transformer with OpenCLIP's names:
//   resblocks.N.{ln_1, attn.{in_proj_weight, in_proj_bias, out_proj}, ln_2, mlp.{c_fc, c_proj}}
// block(x) = x + attn(ln_1(x)) ; x + mlp(ln_2(x)),  mlp = c_proj(act(c_fc(·))) with act the exact
// GELU (OpenCLIP's default) or QuickGELU, x·σ(1.702·x) (OpenAI's CLIP weights, OpenCLIP's
// `quick_gelu: true`).
#include <torch/torch.h>

#include <cstdint>

#include "lethe/models/attention.h"
#include "lethe/models/lora.h"

namespace lethe::models {

struct TransformerOptions {
  TransformerOptions(int64_t width, int64_t layers, int64_t heads)
      : width_(width), layers_(layers), heads_(heads) {}
  TORCH_ARG(int64_t, width);
  TORCH_ARG(int64_t, layers);
  TORCH_ARG(int64_t, heads);
  TORCH_ARG(int64_t, mlp_width) = 0;  // 0 = 4·width
  TORCH_ARG(LoraSpec, lora) = {};
  TORCH_ARG(bool, quick_gelu) = false;
};

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t width, int64_t hidden, const LoraSpec& lora, bool quick_gelu = false);
  // x: (..., w) → (..., w)
  torch::Tensor forward(const torch::Tensor& x);

  LoraLinear c_fc{nullptr}, c_proj{nullptr};  // w → hidden → w

 private:
  bool quick_gelu_;
};
TORCH_MODULE(Mlp);

class ResidualAttentionBlockImpl : public torch::nn::Module {
 public:
  explicit ResidualAttentionBlockImpl(const TransformerOptions& options);
  // x: (N,L,w) → (N,L,w); mask as SelfAttention.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {});

  torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  SelfAttention attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(ResidualAttentionBlock);

class TransformerImpl : public torch::nn::Module {
 public:
  explicit TransformerImpl(const TransformerOptions& options);
  // x: (N,L,w) → (N,L,w); mask: additive (L,L) or undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {});

  // OpenCLIP's text-tower initialisation (TextTransformer.init_parameters): normal weights with
  // std w^-½ (attn.in_proj), w^-½·(2·layers)^-½ (attn.out_proj, mlp.c_proj), (2w)^-½ (mlp.c_fc);
  // biases keep their nn defaults. OpenCLIP's image tower keeps the nn defaults throughout.
  void init_scaled_normal();

  TransformerOptions options;
  torch::nn::ModuleList resblocks{nullptr};
};
TORCH_MODULE(Transformer);

// (L,L) additive causal mask: 0 on and below the diagonal, −inf above (float32).
torch::Tensor causal_mask(int64_t length, const torch::Device& device = torch::kCPU);

}  // namespace lethe::models
