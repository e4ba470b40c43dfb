#pragma once
// Training from pretrained OpenCLIP weights (config key model.init = "openclip:PATH"): the
// architecture and tokenizer come from the user's files, the adaptation (LoRA rank, alpha,
// targets) from the config; the run then trains, federates, checkpoints and unlearns exactly as
// one that started from a fresh model.
#include <string>

#include "lethe/core/tensor_map.h"
#include "lethe/models/clip.h"
#include "lethe/tokenize/bpe.h"

namespace lethe::interop {

struct PretrainedStart {
  models::ClipConfig arch;  // resolved: the weights' architecture + the config's adapters
  TensorMap weights;        // OpenCLIP names, float32 (models::load_openclip loads them)
  tokenize::BpeTokenizer tokenizer;
};

// `model` is the run's [model] table (init, merges, openclip_config, lora_*); `image_size` its
// data.image_size, which must be the model's. A leading "$LETHE_DATA" in the three paths is
// `data_root` (data/dataset.h's data_root); init may name the weights file or an OpenCLIP folder
// holding open_clip_model.safetensors; merges and openclip_config default to the files beside
// the weights (openclip_files.h). InputError naming the key otherwise, and for a shape key of
// [model] set to a value other than the weights'.
PretrainedStart pretrained_start(const models::ClipConfig& model, int64_t image_size,
                                 const std::string& data_root);

// `path` with a leading "$LETHE_DATA" replaced by `data_root`.
std::string expand_data_root(const std::string& path, const std::string& data_root);

}  // namespace lethe::interop
