// ClipConfig::resolved() (src/lethe/models/presets.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.h"
#include "lethe/core/config.h"
#include "lethe/models/clip.h"

namespace lethe::models {
namespace {

using ::testing::HasSubstr;
using namespace lethe::models::testing;

ClipConfig preset(const std::string& name) {
  ClipConfig c;
  c.preset = name;
  return c.resolved();
}

std::vector<int64_t> sizes(const ClipConfig& c) {
  return {c.image_size,  c.patch_size,     c.vision_width, c.vision_layers,
          c.vision_heads, c.text_width,    c.text_layers,  c.text_heads,
          c.context_length, c.vocab_size,  c.embed_dim};
}

TEST(Presets, Sizes) {
  EXPECT_EQ(sizes(preset("tiny")), (std::vector<int64_t>{16, 8, 32, 1, 2, 32, 1, 2, 16, 0, 32}));
  EXPECT_EQ(sizes(preset("small")), (std::vector<int64_t>{32, 4, 128, 3, 4, 128, 2, 4, 32, 0, 128}));
  EXPECT_EQ(sizes(preset("base")), (std::vector<int64_t>{64, 8, 256, 6, 8, 256, 6, 8, 32, 0, 256}));
  EXPECT_EQ(sizes(preset("ViT-B-32")),
            (std::vector<int64_t>{224, 32, 768, 12, 12, 512, 12, 8, 77, 49408, 512}));
}

TEST(Presets, ExplicitFieldsOverrideAndResolvingTwiceIsANoOp) {
  ClipConfig c;
  c.preset = "small";
  c.image_size = 64;
  c.text_layers = 5;
  c.vocab_size = 300;
  auto r = c.resolved();
  EXPECT_EQ(r.image_size, 64);
  EXPECT_EQ(r.text_layers, 5);
  EXPECT_EQ(r.vocab_size, 300);
  EXPECT_EQ(r.vision_layers, 3);
  EXPECT_EQ(sizes(r.resolved()), sizes(r));
}

TEST(Presets, ReadFromToml) {
  auto doc = config::Document::from_string("[model]\npreset = \"tiny\"\nvision_heads = 4\nlora_rank = 2\n");
  ClipConfig c;
  doc.read_section("model", c);
  doc.finish();
  auto r = c.resolved();
  EXPECT_EQ(r.vision_heads, 4);
  EXPECT_EQ(r.text_heads, 2);
  EXPECT_EQ(r.lora_rank, 2);
}

TEST(Presets, ValidationErrorsNameTheKey) {
  auto err = [](auto edit) {
    ClipConfig c;
    c.preset = "tiny";
    edit(c);
    return input_error([&] { c.resolved(); });
  };
  EXPECT_THAT(err([](ClipConfig& c) { c.preset = "ViT-B-23"; }),
              HasSubstr("config key 'model.preset' = 'ViT-B-23' is not valid (did you mean "
                        "'ViT-B-32'?); valid: tiny, small, base, ViT-B-32"));
  EXPECT_THAT(err([](ClipConfig& c) { c.vision_heads = 3; }),
              HasSubstr("config key 'model.vision_heads' = 3 does not divide 'model.vision_width' = 32"));
  EXPECT_THAT(err([](ClipConfig& c) { c.text_width = 30; c.text_heads = 4; }),
              HasSubstr("config key 'model.text_heads' = 4 does not divide 'model.text_width' = 30"));
  EXPECT_THAT(err([](ClipConfig& c) { c.image_size = 20; }),
              HasSubstr("config key 'model.image_size' = 20 is not a multiple of 'model.patch_size' = 8"));
  EXPECT_THAT(err([](ClipConfig& c) { c.text_layers = -1; }),
              HasSubstr("config key 'model.text_layers' = -1 must be > 0"));
  EXPECT_THAT(err([](ClipConfig& c) { c.vocab_size = -5; }),
              HasSubstr("config key 'model.vocab_size' = -5 must be >= 0"));
  EXPECT_THAT(err([](ClipConfig& c) { c.context_length = 1; }),
              HasSubstr("config key 'model.context_length' = 1 must be >= 2"));
  EXPECT_THAT(err([](ClipConfig& c) { c.mlp_ratio = 0.01; }),
              HasSubstr("config key 'model.mlp_ratio' = 0.01 gives an empty MLP for width 32"));
  EXPECT_THAT(err([](ClipConfig& c) { c.lora_rank = -1; }),
              HasSubstr("config key 'model.lora_rank' = -1 must be >= 0"));
  EXPECT_THAT(err([](ClipConfig& c) { c.lora_rank = 2; c.lora_alpha = 0; }),
              HasSubstr("config key 'model.lora_alpha' = 0 must be > 0 with LoRA on"));
  EXPECT_THAT(err([](ClipConfig& c) { c.lora_rank = 2; c.lora_targets = {}; }),
              HasSubstr("config key 'model.lora_targets' is empty but 'model.lora_rank' = 2"));
  EXPECT_THAT(err([](ClipConfig& c) { c.lora_targets = {"attn", "mlps"}; }),
              HasSubstr("config key 'model.lora_targets' has 'mlps' (did you mean 'mlp'?); valid: attn, mlp"));
}

}  // namespace
}  // namespace lethe::models
