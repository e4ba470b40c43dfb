#include "lethe/models/flops.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace lethe::models {
namespace {

using namespace lethe::models::testing;

int64_t built_count(const ClipConfig& c) {
  torch::manual_seed(0);
  Clip m(c);
  int64_t n = 0;
  for (const auto& p : m->parameters()) n += p.numel();
  return n;
}

TEST(ParameterCount, MatchesBuiltModels) {
  EXPECT_EQ(clip_parameter_count(tiny_config()), built_count(tiny_config()));
  EXPECT_EQ(clip_parameter_count(tiny_config(3, {"attn", "mlp"})),
            built_count(tiny_config(3, {"attn", "mlp"})));
  EXPECT_EQ(clip_parameter_count(tiny_config(3, {"mlp"})), built_count(tiny_config(3, {"mlp"})));
  ClipConfig small;
  small.preset = "small";
  small.vocab_size = 100;
  small.mlp_ratio = 2.5;
  EXPECT_EQ(clip_parameter_count(small.resolved()), built_count(small.resolved()));
}

TEST(ParameterCount, PresetSizes) {
  auto count = [](const std::string& name, int64_t vocab) {
    ClipConfig c;
    c.preset = name;
    c.vocab_size = vocab;
    return clip_parameter_count(c.resolved());
  };
  EXPECT_EQ(count("ViT-B-32", 0), 151277313);  // OpenCLIP's ViT-B-32
  EXPECT_EQ(count("small", 0), 1043585);       // the documented ~1 M
  EXPECT_EQ(count("small", 4096) - count("small", 0), 4096 * 128);
}

// tiny: 16×16 image, 8×8 patches → 4 patches + class token = 5 tokens; width 32, MLP 128.
TEST(Flops, HandCountedTinyModel) {
  const auto c = tiny_config();
  const double patch = 2.0 * 4 * (3 * 8 * 8) * 32;
  const double block5 = 2.0 * 5 * 32 * 96 + 2 * 2.0 * 5 * 5 * 32 + 2.0 * 5 * 32 * 32 +
                        2 * 2.0 * 5 * 32 * 128;
  const double proj = 2.0 * 32 * 32;
  EXPECT_DOUBLE_EQ(clip_forward_flops_image(c), patch + block5 + proj);
  EXPECT_DOUBLE_EQ(clip_forward_flops_image(c), 177280.0);
  const double block16 = 2.0 * 16 * 32 * 96 + 2 * 2.0 * 16 * 16 * 32 + 2.0 * 16 * 32 * 32 +
                         2 * 2.0 * 16 * 32 * 128;
  EXPECT_DOUBLE_EQ(clip_forward_flops_text(c, 16), block16 + proj);
  EXPECT_LT(clip_forward_flops_text(c, 8), clip_forward_flops_text(c, 16));
  // LoRA on attention, rank 4: x·Aᵀ·Bᵀ costs 2·L·r·(in+out) for in_proj (32→96) and out_proj.
  const auto lc = tiny_config(4, {"attn"});
  EXPECT_DOUBLE_EQ(clip_forward_flops_image(lc) - clip_forward_flops_image(c),
                   2.0 * 5 * 4 * (32 + 96) + 2.0 * 5 * 4 * (32 + 32));
}

}  // namespace
}  // namespace lethe::models
