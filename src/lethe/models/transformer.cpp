#include "lethe/models/transformer.h"

#include <cmath>
#include <limits>

#include "lethe/core/error.h"

namespace lethe::models {

namespace {
LoraLinearOptions linear_options(int64_t in, int64_t out, const LoraSpec& lora) {
  return LoraLinearOptions(in, out).rank(lora.adapts_mlp() ? lora.rank : 0).alpha(lora.alpha);
}
}  // namespace

MlpImpl::MlpImpl(int64_t width, int64_t hidden, const LoraSpec& lora, bool quick_gelu)
    : quick_gelu_(quick_gelu) {
  c_fc = register_module("c_fc", LoraLinear(linear_options(width, hidden, lora)));
  c_proj = register_module("c_proj", LoraLinear(linear_options(hidden, width, lora)));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  auto h = c_fc->forward(x);
  return c_proj->forward(quick_gelu_ ? h * torch::sigmoid(1.702 * h) : torch::gelu(h));
}

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(const TransformerOptions& o) {
  const int64_t w = o.width();
  const int64_t hidden = o.mlp_width() > 0 ? o.mlp_width() : 4 * w;
  ln_1 = register_module("ln_1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({w})));
  attn = register_module("attn", SelfAttention(AttentionOptions(w, o.heads()).lora(o.lora())));
  ln_2 = register_module("ln_2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({w})));
  mlp = register_module("mlp", Mlp(w, hidden, o.lora(), o.quick_gelu()));
}

torch::Tensor ResidualAttentionBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  auto y = x + attn->forward(ln_1->forward(x), mask);
  return y + mlp->forward(ln_2->forward(y));
}

TransformerImpl::TransformerImpl(const TransformerOptions& o) : options(o) {
  resblocks = register_module("resblocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.layers(); ++i) resblocks->push_back(ResidualAttentionBlock(o));
}

torch::Tensor TransformerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  auto y = x;
  for (const auto& block : *resblocks) y = block->as<ResidualAttentionBlockImpl>()->forward(y, mask);
  return y;
}

void TransformerImpl::init_scaled_normal() {
  const double w = static_cast<double>(options.width());
  const double attn_std = std::pow(w, -0.5);
  const double proj_std = attn_std * std::pow(2.0 * static_cast<double>(options.layers()), -0.5);
  const double fc_std = std::pow(2.0 * w, -0.5);
  torch::NoGradGuard no_grad;
  for (const auto& m : *resblocks) {
    auto* block = m->as<ResidualAttentionBlockImpl>();
    block->attn->in_proj_weight.normal_(0.0, attn_std);
    block->attn->out_proj->weight.normal_(0.0, proj_std);
    block->mlp->c_fc->weight.normal_(0.0, fc_std);
    block->mlp->c_proj->weight.normal_(0.0, proj_std);
  }
}

torch::Tensor causal_mask(int64_t length, const torch::Device& device) {
  return torch::full({length, length}, -std::numeric_limits<float>::infinity(),
                     torch::TensorOptions().device(device))
      .triu_(1);
}

}  // namespace lethe::models
