#include "lethe/models/vit.h"

#include <cmath>

#include "lethe/core/error.h"
#include "lethe/models/shape.h"

namespace lethe::models {

VisionTransformerImpl::VisionTransformerImpl(const VisionTransformerOptions& o) : options(o) {
  const int64_t w = o.transformer().width(), p = o.patch_size();
  LETHE_ASSERT(p > 0 && o.image_size() % p == 0);
  const int64_t grid = o.image_size() / p;
  // OpenCLIP's VisionTransformer: scaled-normal embeddings and projection, nn defaults elsewhere.
  const double scale = std::pow(static_cast<double>(w), -0.5);
  conv1 = register_module(
      "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, w, p).stride(p).bias(false)));
  class_embedding = register_parameter("class_embedding", scale * torch::randn({w}));
  positional_embedding =
      register_parameter("positional_embedding", scale * torch::randn({1 + grid * grid, w}));
  ln_pre = register_module("ln_pre", torch::nn::LayerNorm(torch::nn::LayerNormOptions({w})));
  transformer = register_module("transformer", Transformer(o.transformer()));
  ln_post = register_module("ln_post", torch::nn::LayerNorm(torch::nn::LayerNormOptions({w})));
  proj = register_parameter("proj", scale * torch::randn({w, o.embed_dim()}));
}

torch::Tensor VisionTransformerImpl::forward(const torch::Tensor& images) {
  const int64_t s = options.image_size();
  LETHE_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == s && images.size(3) == s,
              "images must be (N,3,{},{}) for this model, got {}", s, s, shape_str(images));
  const int64_t n = images.size(0), w = options.transformer().width();
  // The residual stream stays in the parameters' dtype: under bf16 autocast only the matrix
  // products run in bf16 (and LibTorch's CPU LayerNorm rejects bf16 input with fp32 weights).
  auto x = conv1->forward(images).flatten(2).transpose(1, 2).to(class_embedding.scalar_type());  // (N,g²,w)
  auto cls = class_embedding.view({1, 1, w}).expand({n, 1, w});
  x = torch::cat({cls, x}, 1) + positional_embedding;  // (N,1+g²,w)
  x = transformer->forward(ln_pre->forward(x));
  // LayerNorm is per token, so pooling the class token first is OpenCLIP's ln_post-then-pool.
  return torch::matmul(ln_post->forward(x.select(1, 0)), proj);
}

}  // namespace lethe::models
