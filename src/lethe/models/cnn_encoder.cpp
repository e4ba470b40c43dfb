#include "lethe/models/cnn_encoder.h"

#include "lethe/core/error.h"
#include "lethe/models/shape.h"

namespace lethe::models {

namespace {
constexpr int64_t kGroups = 8;
}  // namespace

CnnImageEncoderImpl::CnnImageEncoderImpl(const CnnImageEncoderOptions& o) : options(o) {
  const int64_t c = o.channels();
  LETHE_CHECK(o.image_size() >= 4, "cnn encoder: image_size must be >= 4, got {}", o.image_size());
  LETHE_CHECK(c > 0 && c % kGroups == 0,
              "cnn encoder: channels must be a positive multiple of {}, got {}", kGroups, c);
  LETHE_CHECK(o.embed_dim() > 0 && o.num_classes() > 0,
              "cnn encoder: embed_dim and num_classes must be positive, got {} and {}",
              o.embed_dim(), o.num_classes());
  // nn defaults throughout (Kaiming-uniform convolutions and linears, GroupNorm γ=1, β=0).
  auto conv = [](int64_t in, int64_t out) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1));
  };
  auto norm = [](int64_t ch) { return torch::nn::GroupNorm(torch::nn::GroupNormOptions(kGroups, ch)); };
  conv1 = register_module("conv1", conv(3, c));
  norm1 = register_module("norm1", norm(c));
  conv2 = register_module("conv2", conv(c, 2 * c));
  norm2 = register_module("norm2", norm(2 * c));
  conv3 = register_module("conv3", conv(2 * c, 4 * c));
  norm3 = register_module("norm3", norm(4 * c));
  proj = register_module("proj", torch::nn::Linear(4 * c, o.embed_dim()));
  head = register_module("head", torch::nn::Linear(o.embed_dim(), o.num_classes()));
}

torch::Tensor CnnImageEncoderImpl::encode(const torch::Tensor& images) {
  const int64_t s = options.image_size();
  LETHE_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == s &&
                  images.size(3) == s && images.is_floating_point(),
              "images must be (N,3,{},{}) float for this model, got {} {}", s, s,
              shape_str(images), c10::toString(images.scalar_type()));
  // The activations stay in the parameters' dtype: under autocast only the convolutions run in
  // reduced precision (GroupNorm with fp32 weights rejects bf16 input on the CPU).
  const auto dtype = norm1->weight.scalar_type();
  auto stage = [dtype](torch::nn::Conv2d& conv, torch::nn::GroupNorm& norm, const torch::Tensor& x) {
    return torch::relu(norm->forward(conv->forward(x).to(dtype)));
  };
  auto x = torch::max_pool2d(stage(conv1, norm1, images), 2);  // (N,c,S/2,S/2)
  x = torch::max_pool2d(stage(conv2, norm2, x), 2);             // (N,2c,S/4,S/4)
  x = stage(conv3, norm3, x).mean({2, 3});                      // (N,4c)
  return proj->forward(x);
}

torch::Tensor CnnImageEncoderImpl::classify(const torch::Tensor& representation) {
  LETHE_CHECK(representation.dim() == 2 && representation.size(1) == options.embed_dim(),
              "representation must be (N,{}) for this model, got {}", options.embed_dim(),
              shape_str(representation));
  return head->forward(representation);
}

}  // namespace lethe::models
