#pragma once
// Vision transformer image tower with OpenCLIP's names (under "visual."): conv1 (patchify, no
// bias), class_embedding (w), positional_embedding (1+g², w), ln_pre, transformer, ln_post,
// proj (w, embed_dim). Pools the class token.
#include <torch/torch.h>

#include <cstdint>

#include "lethe/models/transformer.h"

namespace lethe::models {

struct VisionTransformerOptions {
  VisionTransformerOptions(int64_t image_size, int64_t patch_size, int64_t embed_dim,
                           TransformerOptions transformer)
      : image_size_(image_size), patch_size_(patch_size), embed_dim_(embed_dim),
        transformer_(std::move(transformer)) {}
  TORCH_ARG(int64_t, image_size);  // multiple of patch_size
  TORCH_ARG(int64_t, patch_size);
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(TransformerOptions, transformer);
};

class VisionTransformerImpl : public torch::nn::Module {
 public:
  explicit VisionTransformerImpl(const VisionTransformerOptions& options);
  // images: (N,3,S,S) float, S = image_size → (N, embed_dim)
  torch::Tensor forward(const torch::Tensor& images);

  VisionTransformerOptions options;
  torch::nn::Conv2d conv1{nullptr};
  torch::Tensor class_embedding, positional_embedding;  // (w), (1+g², w)
  torch::nn::LayerNorm ln_pre{nullptr}, ln_post{nullptr};
  Transformer transformer{nullptr};
  torch::Tensor proj;  // (w, embed_dim), applied as x·proj
};
TORCH_MODULE(VisionTransformer);

}  // namespace lethe::models
