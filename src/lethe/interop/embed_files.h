#pragma once
// `lethe embed`: image files and caption lines → unit-norm CLIP embeddings in a safetensors file
// (image_embeds (N,D), text_embeds (M,D), float32, in input order), in bounded memory: images are
// decoded, preprocessed (data/image.h, OpenCLIP's preprocessing) and encoded one batch at a time,
// so what is held is one batch of images plus the N×D and M×D results.
#include <string>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/interop/model_source.h"

namespace lethe::interop {

struct EmbedRequest {
  std::vector<std::string> images = {};  // image files (PNG or JPEG, any size)
  std::vector<std::string> texts = {};   // one caption each
  int64_t batch = 64;
};

struct Embeddings {
  torch::Tensor image, text;  // (N,D) and (M,D) float32 unit-norm; undefined when none asked
};

// The non-blank lines of an image list (one path each; blank lines are skipped).
std::vector<std::string> read_image_list(const std::string& path);
// One caption per line (a trailing newline ends the last one; "\r\n" is read as "\n").
// InputError for a file with no caption.
std::vector<std::string> read_caption_lines(const std::string& path);

// InputError naming the first image that does not decode, or texts without a tokenizer.
Embeddings embed(LoadedModel& m, const EmbedRequest& req, const Context& ctx);

// Atomic; the metadata names the model and Lethe's version.
void write_embeddings(const std::string& path, const Embeddings& e, const std::string& model_description);

}  // namespace lethe::interop
