#pragma once
// An OpenCLIP model from the files a user holds: its state dict (safetensors; F32, F16 or BF16;
// OpenCLIP's tensor names), its architecture (a model-config JSON, a hub folder's
// open_clip_config.json, or the tensors' shapes) and CLIP's merges file. Every problem is an
// InputError naming the file and the key or tensor.
#include <string>

#include "lethe/core/tensor_map.h"
#include "lethe/models/clip.h"

namespace lethe::interop {

inline constexpr const char* kOpenClipWeightsFile = "open_clip_model.safetensors";
inline constexpr const char* kOpenClipConfigFile = "open_clip_config.json";

struct OpenClipModel {
  models::ClipConfig arch;   // preset "custom", every shape field set; no adapters
  TensorMap weights;         // float32, OpenCLIP names, checked against `arch`
  std::string arch_source;   // the config file read, or "inferred from '<weights>'"
};

// Reads the weights and their architecture: `config_path` if given, else open_clip_config.json
// beside the weights if there is one, else the shapes of the tensors. Checks that the two agree
// (models::load_openclip then checks every tensor by name and shape) and that a hub file's
// preprocess_cfg asks for the preprocessing Lethe implements (data/image.h: OpenAI's mean/std,
// bicubic shortest-side resize, centre crop at the model's image size).
OpenClipModel read_openclip(const std::string& weights_path, const std::string& config_path = "");

// The merges file beside an OpenCLIP weights file, if any (bpe_merges.txt.gz as `lethe export`
// writes it, OpenCLIP's bpe_simple_vocab_16e6.txt[.gz], or a Hugging Face merges.txt); "" if none.
std::string merges_beside(const std::string& weights_path);

}  // namespace lethe::interop
