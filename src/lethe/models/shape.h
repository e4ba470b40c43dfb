#pragma once
// "[N, 3, 32, 32]": tensor shapes in error messages of the models module.
#include <fmt/format.h>
#include <torch/torch.h>

#include <string>

namespace lethe::models {

inline std::string shape_str(torch::IntArrayRef sizes) {
  return fmt::format("[{}]", fmt::join(sizes.begin(), sizes.end(), ", "));
}
inline std::string shape_str(const torch::Tensor& t) { return shape_str(t.sizes()); }

}  // namespace lethe::models
