#include "lethe/models/clip.h"

#include <algorithm>
#include <cmath>

#include "lethe/core/error.h"
#include "lethe/models/shape.h"

namespace lethe::models {

namespace {
TransformerOptions tower(const ClipConfig& c, int64_t width, int64_t layers, int64_t heads) {
  LoraSpec lora;
  lora.rank = c.lora_rank;
  lora.alpha = c.lora_alpha;
  auto has = [&](const char* t) {
    return std::find(c.lora_targets.begin(), c.lora_targets.end(), t) != c.lora_targets.end();
  };
  lora.attn = has("attn");
  lora.mlp = has("mlp");
  return TransformerOptions(width, layers, heads)
      .mlp_width(static_cast<int64_t>(static_cast<double>(width) * c.mlp_ratio))
      .lora(lora)
      .quick_gelu(c.activation == "quick_gelu");
}
}  // namespace

TransformerOptions vision_tower_options(const ClipConfig& c) {
  return tower(c, c.vision_width, c.vision_layers, c.vision_heads);
}

TransformerOptions text_tower_options(const ClipConfig& c) {
  return tower(c, c.text_width, c.text_layers, c.text_heads);
}

ClipImpl::ClipImpl(const ClipConfig& cfg) : cfg_(cfg.resolved()) {
  const auto& c = cfg_;
  LETHE_CHECK(c.vocab_size > 0,
              "config key 'model.vocab_size' is 0: set it from the tokenizer before building CLIP");
  // Modules and parameters are created in OpenCLIP's CLIP.__init__ order (image tower,
  // transformer, token_embedding, positional_embedding, ln_final, text_projection, logit_scale),
  // so named_parameters() lists them in the order of an OpenCLIP state dict.
  visual_ = register_module(
      "visual", VisionTransformer(VisionTransformerOptions(c.image_size, c.patch_size,
                                                           c.embed_dim, vision_tower_options(c))));
  const int64_t w = c.text_width;
  transformer_ = register_module("transformer", Transformer(text_tower_options(c)));
  token_embedding_ = register_module("token_embedding", torch::nn::Embedding(c.vocab_size, w));
  positional_embedding_ = register_parameter("positional_embedding", torch::empty({c.context_length, w}));
  ln_final_ = register_module("ln_final", torch::nn::LayerNorm(torch::nn::LayerNormOptions({w})));
  text_projection_ = register_parameter("text_projection", torch::empty({w, c.embed_dim}));
  {
    // OpenCLIP's TextTransformer.init_parameters.
    torch::NoGradGuard no_grad;
    token_embedding_->weight.normal_(0.0, 0.02);
    positional_embedding_.normal_(0.0, 0.01);
    transformer_->init_scaled_normal();
    text_projection_.normal_(0.0, std::pow(static_cast<double>(w), -0.5));
  }
  logit_scale = register_parameter("logit_scale", torch::full({}, c.init_logit_scale));
  attn_mask_ = causal_mask(c.context_length);
  if (c.lora_rank > 0) {
    init_lora_factors(*this);
    set_trainable_for_lora(*this, /*train_ln_and_proj=*/false);
  }
}

torch::Tensor ClipImpl::encode_image(const torch::Tensor& images) { return visual_->forward(images); }

torch::Tensor ClipImpl::encode_text(const torch::Tensor& tokens) {
  LETHE_CHECK(tokens.dim() == 2 && tokens.scalar_type() == torch::kLong &&
                  tokens.size(1) <= cfg_.context_length,
              "tokens must be (N,L) int64 with L <= {} (model.context_length), got {} {}",
              cfg_.context_length, shape_str(tokens), c10::toString(tokens.scalar_type()));
  const int64_t n = tokens.size(0), l = tokens.size(1);
  if (attn_mask_.device() != tokens.device()) attn_mask_ = attn_mask_.to(tokens.device());
  auto x = token_embedding_->forward(tokens) + positional_embedding_.slice(0, 0, l);  // (N,L,w)
  x = transformer_->forward(x, attn_mask_.slice(0, 0, l).slice(1, 0, l));
  // Pool at <end_of_text>, the largest id in each row (OpenCLIP's text_global_pool 'argmax');
  // ln_final is per token, so pooling first equals OpenCLIP's ln_final-then-pool.
  auto eot = tokens.argmax(-1);
  auto pooled = x.index({torch::arange(n, tokens.options()), eot});  // (N,w)
  return torch::matmul(ln_final_->forward(pooled), text_projection_);
}

torch::Tensor ClipImpl::logit_scale_exp() const { return logit_scale.exp().clamp_max(100.0); }

bool ClipImpl::is_image_param(const std::string& name) { return name.starts_with("visual."); }

}  // namespace lethe::models
