#include "lethe/models/flops.h"

namespace lethe::models {

namespace {

// Parameters of a stack of residual attention blocks.
int64_t transformer_params(const TransformerOptions& t) {
  const int64_t w = t.width(), m = t.mlp_width(), r = t.lora().rank;
  int64_t block = 2 * w                       // ln_1
                  + 3 * w * w + 3 * w         // in_proj
                  + w * w + w                 // out_proj
                  + 2 * w                     // ln_2
                  + w * m + m + m * w + w;    // c_fc, c_proj
  if (t.lora().adapts_attn()) block += r * (w + 3 * w) + r * (w + w);
  if (t.lora().adapts_mlp()) block += r * (w + m) + r * (m + w);
  return t.layers() * block;
}

// Forward matmul FLOPs of the blocks over a sequence of L tokens.
double transformer_flops(const TransformerOptions& t, int64_t tokens) {
  const double w = static_cast<double>(t.width()), m = static_cast<double>(t.mlp_width());
  const double l = static_cast<double>(tokens), r = static_cast<double>(t.lora().rank);
  double block = 2 * l * w * 3 * w    // q, k, v
                 + 2 * l * l * w      // q·kᵀ over all heads
                 + 2 * l * l * w      // attention·v
                 + 2 * l * w * w      // out_proj
                 + 2 * 2 * l * w * m;  // c_fc, c_proj
  // LoRA path x·Aᵀ then ·Bᵀ: 2·L·r·(in + out) per adapted map.
  if (t.lora().adapts_attn()) block += 2 * l * r * (w + 3 * w) + 2 * l * r * (w + w);
  if (t.lora().adapts_mlp()) block += 2 * 2 * l * r * (w + m);
  return static_cast<double>(t.layers()) * block;
}

}  // namespace

int64_t clip_parameter_count(const ClipConfig& c) {
  const int64_t vw = c.vision_width, tw = c.text_width, grid = c.image_size / c.patch_size;
  const int64_t visual = 3 * c.patch_size * c.patch_size * vw  // conv1
                         + vw + (1 + grid * grid) * vw        // class + positional embedding
                         + 2 * vw + 2 * vw                    // ln_pre, ln_post
                         + transformer_params(vision_tower_options(c)) + vw * c.embed_dim;
  const int64_t text = c.vocab_size * tw + c.context_length * tw +
                       transformer_params(text_tower_options(c)) + 2 * tw +
                       tw * c.embed_dim;
  return visual + text + 1;  // + logit_scale
}

double clip_forward_flops_image(const ClipConfig& c) {
  const double vw = static_cast<double>(c.vision_width), p = static_cast<double>(c.patch_size);
  const int64_t grid = c.image_size / c.patch_size, tokens = 1 + grid * grid;
  return 2.0 * static_cast<double>(grid * grid) * 3 * p * p * vw +
         transformer_flops(vision_tower_options(c), tokens) +
         2.0 * vw * static_cast<double>(c.embed_dim);
}

double clip_forward_flops_text(const ClipConfig& c, int64_t tokens) {
  const double tw = static_cast<double>(c.text_width);
  return transformer_flops(text_tower_options(c), tokens) +
         2.0 * tw * static_cast<double>(c.embed_dim);
}

}  // namespace lethe::models
