#pragma once
// LoRA adapters (METHODS.md §1): a frozen base linear map W₀ (out×in) plus a trainable low-rank
// update, W = W₀ + (α/r)·B·A with A ∈ R^{r×in} (kaiming-uniform) and B ∈ R^{out×r} (zeros), so
// an adapted model equals its base model until B moves.
//
// Tensor names. The factors sit next to the weight they adapt, so OpenCLIP names stay intact
// and `name minus the LoRA suffix` finds the base weight:
//   Linear submodules (attn.out_proj, mlp.c_fc, mlp.c_proj): "<linear>.lora_A", "<linear>.lora_B"
//     adapting "<linear>.weight";
//   attention's packed q/k/v projection (a raw parameter, as in nn.MultiheadAttention):
//     "attn.in_proj_lora_A", "attn.in_proj_lora_B" adapting "attn.in_proj_weight".
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "lethe/core/tensor_map.h"

namespace lethe::models {

// Which linear maps of a transformer carry adapters, and their rank and scale.
struct LoraSpec {
  int64_t rank = 0;  // 0 = no adapters
  double alpha = 16.0;
  bool attn = false;  // attn.in_proj and attn.out_proj
  bool mlp = false;   // mlp.c_fc and mlp.c_proj
  bool adapts_attn() const { return rank > 0 && attn; }
  bool adapts_mlp() const { return rank > 0 && mlp; }
  double scale() const { return alpha / static_cast<double>(rank); }
};

// x: (..., in) → (..., out): x·Wᵀ + b + scale·(x·Aᵀ)·Bᵀ. The low-rank path is never merged into
// W so that backward skips the (out×in) weight gradient of the frozen base. A and B undefined
// (no adapter) or both defined; b may be undefined.
torch::Tensor lora_linear(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias, const torch::Tensor& lora_a,
                          const torch::Tensor& lora_b, double scale);

struct LoraLinearOptions {
  LoraLinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(int64_t, rank) = 0;  // 0 = a plain nn.Linear
  TORCH_ARG(double, alpha) = 16.0;
};

// nn.Linear (same parameter names and default initialisation) with optional adapters.
class LoraLinearImpl : public torch::nn::Module {
 public:
  explicit LoraLinearImpl(const LoraLinearOptions& options);
  // x: (..., in) → (..., out)
  torch::Tensor forward(const torch::Tensor& x);

  LoraLinearOptions options;
  torch::Tensor weight, bias;      // (out, in), (out)
  torch::Tensor lora_A, lora_B;    // (r, in), (out, r); undefined when rank = 0
};
TORCH_MODULE(LoraLinear);

// True for adapter factors (names ending in "lora_A" / "lora_B").
bool is_lora_param(const std::string& name);

// Draws every adapter factor of `m` afresh: A kaiming-uniform (a = √5, as nn.Linear and PEFT),
// B zero. Called after the base weights are initialised so that the base weights of a model do
// not depend on whether it carries adapters (same seed → same W₀).
void init_lora_factors(torch::nn::Module& m);

// LoRA training: adapter factors train, every other parameter is frozen, except — when
// train_ln_and_proj — LayerNorm gains/biases ("ln_" in the name), the two output projections
// (visual.proj, text_projection) and logit_scale. Returns the number of trainable scalars.
int64_t set_trainable_for_lora(torch::nn::Module& m, bool train_ln_and_proj);

// Folds every adapter into its base weight (W₀ + (α/r)·B·A, r = rows of A) and drops the
// factors: the result loads into a model without adapters (e.g. to export OpenCLIP weights).
// Throws InputError naming a factor whose partner or base weight is missing or mis-shaped.
TensorMap merge_lora(const TensorMap& weights, double alpha);

}  // namespace lethe::models
