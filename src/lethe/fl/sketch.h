#pragma once
// Streaming low-rank sketches of the column space of a client's updates (METHODS.md §3
// "History"). A sketch of a weight matrix W (d_out × d_in) is UΣ (d_out × q): its σ-scaled left
// singular vectors. Each new update ΔW is appended, [UΣ, ΔW] is re-factorised, and the result
// truncated to the smallest rank keeping `energy` of Σσ², at most max_rank.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <tuple>

#include "lethe/core/tensor_map.h"

namespace lethe::fl {

struct SketchOptions {
  double energy = 0.97;  // ε
  int64_t max_rank = 32;  // q_max
};

// Smallest r with Σ_{i<r} s_i² ≥ energy · Σ s_i² (s descending), capped at max_rank; 0 when
// every s_i is 0.
int64_t energy_rank(const torch::Tensor& singular_values, double energy, int64_t max_rank);

// The sketch after appending `delta` (d × n, any n; often ΔW itself or a left factor from
// lora_delta_factor). `sketch` (d × q) may be undefined for the first update. float64 maths,
// float32 result, undefined when the truncated rank is 0. NumericalError when the input is not
// finite, the SVD fails, or σ overflows float32: the caller refuses that update.
torch::Tensor update_sketch(const torch::Tensor& sketch, const torch::Tensor& delta,
                            const SketchOptions& opts);

// torch::linalg_svd(m, full_matrices = false), with a failure (no convergence, non-finite
// input) turned into a NumericalError naming `what`: factorisations of client data must not
// end a run with LibTorch's backtrace.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> thin_svd(const torch::Tensor& m,
                                                                  const std::string& what);

// UΣ (d × ≤2r) of the LoRA update ΔW = B_k·A_k − B_t·A_t (B: d × r, A: r × n) without forming
// ΔW: thin QR of [B_k, −B_t], then an SVD of the small (2r × n) factor.
torch::Tensor lora_delta_factor(const torch::Tensor& b_k, const torch::Tensor& a_k,
                                const torch::Tensor& b_t, const torch::Tensor& a_t);

// Which matrices a client update contributes to the sketches: module name → a d × n matrix
// with the column space (and singular values) of that module's ΔW.
using ModuleDeltaFn = std::function<TensorMap(const TensorMap& global, const TensorMap& update)>;

// Every 2-D tensor of the update, as is (full-parameter training).
TensorMap matrix_deltas(const TensorMap& global, const TensorMap& update);

// LoRA training: for every pair "<m><b_suffix>" / "<m><a_suffix>" in the update, module "<m>"
// gets lora_delta_factor(B^t + ΔB, A^t + ΔA, B^t, A^t); other 2-D tensors as matrix_deltas.
ModuleDeltaFn lora_deltas(std::string a_suffix, std::string b_suffix);

}  // namespace lethe::fl
