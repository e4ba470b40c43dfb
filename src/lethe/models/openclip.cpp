#include "lethe/models/openclip.h"

#include "lethe/core/error.h"
#include "lethe/models/lora.h"
#include "lethe/models/shape.h"

namespace lethe::models {

void load_openclip(ClipImpl& model, const TensorMap& weights) {
  TensorMap base;  // the model's OpenCLIP tensors
  for (const auto& p : model.named_parameters(/*recurse=*/true))
    if (!is_lora_param(p.key())) base.emplace(p.key(), p.value());
  for (const auto& b : model.named_buffers(/*recurse=*/true)) base.emplace(b.key(), b.value());
  for (const auto& [name, t] : base)
    LETHE_CHECK(weights.count(name), "OpenCLIP weights lack tensor '{}' (model shape {})", name,
                shape_str(t));
  for (const auto& [name, t] : weights) {
    LETHE_CHECK(!is_lora_param(name),
                "OpenCLIP weights have LoRA factor '{}' (shape {}); adapters are not OpenCLIP "
                "tensors (restore a Lethe checkpoint with load_state_dict instead)",
                name, shape_str(t));
    auto it = base.find(name);
    LETHE_CHECK(it != base.end(), "OpenCLIP weights have tensor '{}' (shape {}) that the model lacks",
                name, shape_str(t));
    LETHE_CHECK(t.sizes() == it->second.sizes(),
                "OpenCLIP tensor '{}' has shape {} but the model expects {}", name, shape_str(t),
                shape_str(it->second));
  }
  // Names and shapes match; load_state_dict checks dtypes before copying anything.
  load_state_dict(model, weights, /*strict=*/false);
}

}  // namespace lethe::models
