// Model sizes and ClipConfig::resolved().
//
//   preset    image/patch  vision w×L×h   text w×L×h   ctx  embed  parameters (without the
//                                                                   vocab·text_width embedding)
//   tiny      16/8         32×1×2         32×1×2       16   32     34,497 (+32/token; tests)
//   small     32/4         128×3×4        128×2×4      32   128    1,043,585 (+128/token)
//   base      64/8         256×6×8        256×6×8      32   256    9,683,969 (+256/token)
//   ViT-B-32  224/32       768×12×12      512×12×8     77   512    OpenCLIP's: 151,277,313 with
//                                                                   its 49,408-token vocabulary
//   custom    every shape field set explicitly (an OpenCLIP architecture, models/openclip_arch.h)
// `small` is sized to about 1 M parameters for 32×32 images: with a 2–4 k BPE vocabulary the
// token embedding adds 0.26–0.52 M. Its text tower is one layer shallower than the image tower
// because captions are short (≤ 32 tokens) while images give 65 tokens.
#include <algorithm>
#include <string>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/core/strings.h"
#include "lethe/models/clip.h"

namespace lethe::models {

namespace {

struct Preset {
  const char* name;
  int64_t image_size, patch_size, vision_width, vision_layers, vision_heads;
  int64_t text_width, text_layers, text_heads, context_length, vocab_size, embed_dim;
};

// vocab_size 0: taken from the tokenizer.
constexpr Preset kPresets[] = {
    {"tiny", 16, 8, 32, 1, 2, 32, 1, 2, 16, 0, 32},
    {"small", 32, 4, 128, 3, 4, 128, 2, 4, 32, 0, 128},
    {"base", 64, 8, 256, 6, 8, 256, 6, 8, 32, 0, 256},
    {"ViT-B-32", 224, 32, 768, 12, 12, 512, 12, 8, 77, 49408, 512},
    {"custom", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};

const Preset& find_preset(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& p : kPresets) {
    if (name == p.name) return p;
    names.emplace_back(p.name);
  }
  throw InputError(fmt::format("config key 'model.preset' = '{}' is not valid{}; valid: {}", name,
                               did_you_mean(name, names), join(names, ", ")));
}

void fill(int64_t& field, int64_t preset_value) {
  if (field == 0) field = preset_value;
}

void check_positive(int64_t value, const char* key) {
  LETHE_CHECK(value > 0, "config key 'model.{}' = {} must be > 0", key, value);
}

void check_heads(int64_t width, int64_t heads, const char* width_key, const char* heads_key) {
  LETHE_CHECK(width % heads == 0,
              "config key 'model.{}' = {} does not divide 'model.{}' = {} (width must split evenly "
              "into heads)",
              heads_key, heads, width_key, width);
}

}  // namespace

ClipConfig ClipConfig::resolved() const {
  ClipConfig c = *this;
  const Preset& p = find_preset(preset);
  fill(c.image_size, p.image_size);
  fill(c.patch_size, p.patch_size);
  fill(c.vision_width, p.vision_width);
  fill(c.vision_layers, p.vision_layers);
  fill(c.vision_heads, p.vision_heads);
  fill(c.text_width, p.text_width);
  fill(c.text_layers, p.text_layers);
  fill(c.text_heads, p.text_heads);
  fill(c.context_length, p.context_length);
  fill(c.vocab_size, p.vocab_size);
  fill(c.embed_dim, p.embed_dim);

  const std::pair<int64_t, const char*> sizes[] = {
      {c.image_size, "image_size"},     {c.patch_size, "patch_size"},
      {c.vision_width, "vision_width"}, {c.vision_layers, "vision_layers"},
      {c.vision_heads, "vision_heads"}, {c.text_width, "text_width"},
      {c.text_layers, "text_layers"},   {c.text_heads, "text_heads"},
      {c.context_length, "context_length"}, {c.embed_dim, "embed_dim"}};
  for (const auto& [value, key] : sizes) check_positive(value, key);
  LETHE_CHECK(c.vocab_size >= 0, "config key 'model.vocab_size' = {} must be >= 0", c.vocab_size);
  LETHE_CHECK(c.image_size % c.patch_size == 0,
              "config key 'model.image_size' = {} is not a multiple of 'model.patch_size' = {}",
              c.image_size, c.patch_size);
  check_heads(c.vision_width, c.vision_heads, "vision_width", "vision_heads");
  check_heads(c.text_width, c.text_heads, "text_width", "text_heads");
  LETHE_CHECK(c.context_length >= 2,
              "config key 'model.context_length' = {} must be >= 2 (<start_of_text> and "
              "<end_of_text>)",
              c.context_length);
  const int64_t narrow = std::min(c.vision_width, c.text_width);
  LETHE_CHECK(static_cast<int64_t>(static_cast<double>(narrow) * c.mlp_ratio) >= 1,
              "config key 'model.mlp_ratio' = {} gives an empty MLP for width {}", c.mlp_ratio,
              narrow);
  LETHE_CHECK(c.lora_rank >= 0, "config key 'model.lora_rank' = {} must be >= 0", c.lora_rank);
  if (c.lora_rank > 0) {
    LETHE_CHECK(c.lora_alpha > 0, "config key 'model.lora_alpha' = {} must be > 0 with LoRA on",
                c.lora_alpha);
    LETHE_CHECK(!c.lora_targets.empty(),
                "config key 'model.lora_targets' is empty but 'model.lora_rank' = {}; valid "
                "targets: attn, mlp",
                c.lora_rank);
  }
  const std::vector<std::string> targets = {"attn", "mlp"};
  for (const auto& t : c.lora_targets)
    LETHE_CHECK(std::find(targets.begin(), targets.end(), t) != targets.end(),
                "config key 'model.lora_targets' has '{}'{}; valid: attn, mlp", t,
                did_you_mean(t, targets));
  return c;
}

}  // namespace lethe::models
