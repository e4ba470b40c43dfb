#pragma once
// Named-tensor maps ("state dicts") and their arithmetic. Ordered by name, so every loop over
// a map is deterministic. Binary operations require identical key sets and shapes and throw
// InputError naming the first mismatching tensor.
#include <torch/torch.h>

#include <map>
#include <string>

namespace lethe {

using TensorMap = std::map<std::string, torch::Tensor>;

// Parameters and buffers of a module under their dotted names ("visual.proj"), detached and
// cloned. trainable_only keeps only parameters with requires_grad (e.g. LoRA factors), no buffers.
TensorMap state_dict(const torch::nn::Module& m, bool trainable_only = false);
// Copies `src` into the module's parameters/buffers in place (no_grad). strict: every module
// tensor must be in src and vice versa. Shapes must match; floating-point tensors are converted
// to the model's dtype (f16/bf16 → f32), other dtypes must match exactly. Everything is checked
// before anything is copied, so a failed load leaves the module unchanged. Errors name the
// tensor and both shapes / dtypes.
void load_state_dict(torch::nn::Module& m, const TensorMap& src, bool strict = true);

// Results keep the dtypes of `a` (integer tensors truncate scaled values).
TensorMap clone(const TensorMap& a);
TensorMap zeros_like(const TensorMap& a);
TensorMap add(const TensorMap& a, const TensorMap& b);
TensorMap sub(const TensorMap& a, const TensorMap& b);
TensorMap scale(const TensorMap& a, double s);
void add_(TensorMap& y, const TensorMap& x, double alpha = 1.0);  // y += alpha·x
double dot(const TensorMap& a, const TensorMap& b);               // Σ over all entries, float64
double norm(const TensorMap& a);                                  // Frobenius norm over all
// "" when every floating-point entry of `a` is finite; else what is not, naming the first such
// tensor in name order: "tensor 'w' has 3 non-finite values (NaN or ±Inf) of 18".
std::string describe_nonfinite(const TensorMap& a);
int64_t numel(const TensorMap& a);
int64_t nbytes(const TensorMap& a);
// Throws InputError unless a and b have the same names, shapes and dtypes.
void check_same_layout(const TensorMap& a, const TensorMap& b, const std::string& what);

}  // namespace lethe
