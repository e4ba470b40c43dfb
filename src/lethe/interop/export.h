#pragma once
// `lethe export --format openclip`: a Lethe model as an OpenCLIP folder that OpenCLIP and
// `lethe embed --model openclip:` load:
//   open_clip_model.safetensors  float32 state dict, LoRA adapters merged into their weights
//   open_clip_config.json        {"model_cfg": {...}, "preprocess_cfg": {...}} (hub layout)
//   bpe_merges.txt.gz            the model's merges in CLIP's format (OpenCLIP's SimpleTokenizer
//                                reads it with bpe_path=...; its vocabulary is the model's)
#include <string>

#include "lethe/train/checkpoint.h"

namespace lethe::interop {

inline constexpr const char* kExportMergesFile = "bpe_merges.txt.gz";

// The checkpoint `--run DIR [--method M]` names: DIR's final model; with M, the model M made in
// an audit — DIR an audit folder (holding audit.json) or a run folder with exactly one request
// that ran M. InputError listing what there is otherwise.
std::string export_source(const std::string& run_dir, const std::string& method);

// Writes the folder whole or not at all (built beside it, then renamed into place); InputError if
// out_dir exists and is not empty.
void export_openclip(const train::Checkpoint& ck, const std::string& out_dir);

}  // namespace lethe::interop
