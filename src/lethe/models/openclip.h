#pragma once
// Loading OpenCLIP weights (e.g. a ViT-B-32 safetensors file read with read_safetensors) into a
// Clip of the same shape.
#include "lethe/core/tensor_map.h"
#include "lethe/models/clip.h"

namespace lethe::models {

// Copies every non-LoRA tensor of the model from `weights`, strictly: a model tensor missing
// from `weights`, a tensor in `weights` the model lacks (LoRA factors included) and a shape
// mismatch are InputErrors naming the tensor and its shape(s); nothing is copied then. LoRA
// factors keep their initialisation (B = 0, so the model computes exactly the loaded weights).
// f16/bf16 weights are converted to the model's dtype.
void load_openclip(ClipImpl& model, const TensorMap& weights);

}  // namespace lethe::models
