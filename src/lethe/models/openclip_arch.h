#pragma once
// OpenCLIP's architecture descriptions ↔ ClipConfig.
//
// OpenCLIP describes a model with a model-config JSON (open_clip/model_configs/<name>.json:
// embed_dim, quick_gelu, vision_cfg {image_size, layers, width, patch_size, head_width,
// mlp_ratio, …}, text_cfg {context_length, vocab_size, width, heads, layers, …}); a Hugging Face
// hub folder's open_clip_config.json wraps the same object in "model_cfg" next to
// "preprocess_cfg". OpenAI checkpoints come without one: OpenCLIP infers the shapes from the
// tensors, with heads = width / 64 and QuickGELU. Lethe implements the standard CLIP with ViT
// image tower and causal text transformer (class-token and end-token pooling, linear
// projections without bias); every other architecture OpenCLIP knows (ResNet, timm or Hugging
// Face towers, attentional pooling, layer scale, SigLIP's logit bias, …) is a one-line
// InputError naming the key or tensor that asks for it.
#include <nlohmann/json.hpp>

#include <string>

#include "lethe/core/tensor_map.h"
#include "lethe/models/clip.h"

namespace lethe::models {

struct OpenClipConfigFile {
  ClipConfig model;           // preset "custom": every shape field set, activation from quick_gelu
  nlohmann::json preprocess;  // a hub file's "preprocess_cfg" (null for a plain model config)
};

// Reads a model-config JSON or a hub open_clip_config.json; `source` names the file in errors.
OpenClipConfigFile parse_openclip_config(const std::string& json_text, const std::string& source);

// The ClipConfig that OpenCLIP state-dict tensors imply (heads = width / 64 and QuickGELU, as
// OpenCLIP assumes for OpenAI checkpoints without a config).
ClipConfig infer_openclip_arch(const TensorMap& weights, const std::string& source);

// InputError naming the config key, its value and the tensor whose shape disagrees, when the
// architecture `cfg` (from `config_source`) does not fit `weights`.
void check_openclip_arch(const ClipConfig& cfg, const TensorMap& weights,
                         const std::string& config_source, const std::string& weights_source);

// Drops the entries OpenCLIP itself ignores when loading (OpenAI's "input_resolution",
// "context_length", "vocab_size" scalars and an "attn_mask" buffer) and converts every
// floating-point tensor to float32.
TensorMap normalize_openclip_weights(TensorMap weights);

// The "model_cfg" object of an open_clip_config.json for a resolved config (the hub file adds
// "preprocess_cfg", which belongs to the data side).
nlohmann::json openclip_model_cfg(const ClipConfig& resolved);

}  // namespace lethe::models
