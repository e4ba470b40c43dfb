#pragma once
// A CLIP as users name it on the command line (`lethe embed --model SPEC`, `lethe export`):
//   openclip:FILE     OpenCLIP weights (safetensors), with --openclip-config / --merges or the
//                     files beside FILE (openclip_files.h)
//   openclip:DIR      an OpenCLIP folder: DIR/open_clip_model.safetensors and what lies beside it
//   DIR               a Lethe run folder (its checkpoints/final.safetensors) or an OpenCLIP folder
//   FILE              a Lethe checkpoint (a run's final model, or one unlearned model of an audit)
#include <optional>
#include <string>

#include "lethe/models/clip.h"
#include "lethe/tokenize/bpe.h"

namespace lethe::interop {

struct ModelSource {
  std::string spec = {};
  std::string merges = {};           // openclip: only ("" = beside the weights)
  std::string openclip_config = {};  // openclip: only ("" = beside the weights, else inferred)
};

struct LoadedModel {
  models::Clip model{nullptr};
  models::ClipConfig cfg;                         // resolved
  std::optional<tokenize::BpeTokenizer> tokenizer;  // none for OpenCLIP weights without merges
  std::string description;                        // what was loaded, for logs and metadata
};

// InputError naming the spec, the flag or the file for anything that does not resolve or load.
LoadedModel load_model(const ModelSource& source);

}  // namespace lethe::interop
