#include "lethe/models/openclip_arch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.h"
#include "lethe/models/openclip.h"

namespace lethe::models {
namespace {

using ::testing::HasSubstr;
using namespace lethe::models::testing;

// OpenCLIP's ViT-B-32-quickgelu.json, verbatim in structure.
constexpr const char* kVitB32 = R"({
  "embed_dim": 512, "quick_gelu": true,
  "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
  "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}})";

std::string parse_error(const std::string& text) {
  return input_error([&] { parse_openclip_config(text, "m.json"); });
}

TEST(OpenClipConfig, ReadsAModelConfigWithOpenClipsDefaults) {
  const auto c = parse_openclip_config(kVitB32, "ViT-B-32-quickgelu.json").model;
  EXPECT_EQ(c.preset, "custom");
  EXPECT_EQ(c.image_size, 224);
  EXPECT_EQ(c.patch_size, 32);
  EXPECT_EQ(c.vision_width, 768);
  EXPECT_EQ(c.vision_heads, 12);  // width / head_width (64 by default)
  EXPECT_EQ(c.vision_layers, 12);
  EXPECT_EQ(c.text_width, 512);
  EXPECT_EQ(c.text_heads, 8);
  EXPECT_EQ(c.context_length, 77);
  EXPECT_EQ(c.vocab_size, 49408);
  EXPECT_EQ(c.embed_dim, 512);
  EXPECT_DOUBLE_EQ(c.mlp_ratio, 4.0);
  EXPECT_EQ(c.activation, "quick_gelu");
  // The preset "custom" takes every field as given.
  const auto r = c.resolved();
  EXPECT_EQ(r.vision_width, 768);
  EXPECT_EQ(r.vocab_size, 49408);
}

TEST(OpenClipConfig, ReadsAHubFileAndItsPreprocessing) {
  const auto f = parse_openclip_config(
      R"({"model_cfg": {"embed_dim": 32, "vision_cfg": {"image_size": [16, 16], "layers": 1,
          "width": 32, "head_width": 16, "patch_size": 8, "mlp_ratio": 2.0, "final_ln_after_pool": true},
          "text_cfg": {"context_length": 16, "vocab_size": 600, "width": 32, "heads": 2, "layers": 1,
          "mlp_ratio": 2.0, "pool_type": "argmax", "tokenizer_kwargs": {"clean": "lower"}}},
          "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "interpolation": "bicubic"}})",
      "open_clip_config.json");
  EXPECT_EQ(f.model.image_size, 16);
  EXPECT_EQ(f.model.vision_heads, 2);
  EXPECT_DOUBLE_EQ(f.model.mlp_ratio, 2.0);
  EXPECT_EQ(f.model.activation, "gelu");
  EXPECT_EQ(f.preprocess.at("interpolation"), "bicubic");  // vetted by the data side
}

TEST(OpenClipConfig, WhatLetheDoesNotImplementIsNamed) {
  EXPECT_THAT(parse_error("{"), HasSubstr("'m.json' is not valid JSON"));
  EXPECT_THAT(parse_error(R"({"embed_dim": 1, "vision_cfg": {}})"), HasSubstr("'text_cfg' is missing"));
  auto with = [](const std::string& vision_extra, const std::string& text_extra = "",
                 const std::string& top_extra = "") {
    return fmt::format(R"({{"embed_dim": 512{}, "vision_cfg": {{"width": 768{}}},
                            "text_cfg": {{"width": 512{}}}}})",
                       top_extra, vision_extra, text_extra);
  };
  EXPECT_THAT(parse_error(with(R"(, "layers": [3, 4, 6, 3])")),
              HasSubstr("'vision_cfg.layers' = [3,4,6,3] asks for a ModifiedResNet image tower"));
  EXPECT_THAT(parse_error(with(R"(, "attentional_pool": true)")),
              HasSubstr("'vision_cfg.attentional_pool' = true asks for attentional pooling"));
  EXPECT_THAT(parse_error(with(R"(, "timm_model_name": "convnext_base")")),
              HasSubstr("'vision_cfg.timm_model_name' = \"convnext_base\" asks for a timm image tower"));
  EXPECT_THAT(parse_error(with(R"(, "pool_type": "avg")")),
              HasSubstr("'vision_cfg.pool_type' = \"avg\" asks for image pooling other than"));
  EXPECT_THAT(parse_error(with(R"(, "ls_init_value": 0.1)")), HasSubstr("layer scale"));
  EXPECT_THAT(parse_error(with(R"(, "image_size": [224, 160])")), HasSubstr("is not square"));
  EXPECT_THAT(parse_error(with(R"(, "head_width": 100)")),
              HasSubstr("'vision_cfg.head_width' = 100 does not divide vision_cfg.width = 768"));
  EXPECT_THAT(parse_error(with(R"(, "width": "768")")), HasSubstr("must be an integer"));
  EXPECT_THAT(parse_error(with("", R"(, "hf_model_name": "roberta-base")")),
              HasSubstr("'text_cfg.hf_model_name' = \"roberta-base\" asks for a Hugging Face text tower"));
  EXPECT_THAT(parse_error(with("", R"(, "pool_type": "last")")), HasSubstr("'text_cfg.pool_type'"));
  EXPECT_THAT(parse_error(with("", R"(, "mlp_ratio": 2.0)")),
              HasSubstr("'text_cfg.mlp_ratio' = 2.0 differs from vision_cfg.mlp_ratio = 4"));
  EXPECT_THAT(parse_error(with("", "", R"(, "init_logit_bias": -10)")),
              HasSubstr("'init_logit_bias' = -10 asks for a learnt logit bias (SigLIP)"));
  EXPECT_THAT(parse_error(with("", "", R"(, "custom_text": true)")), HasSubstr("custom text tower"));
  EXPECT_THAT(parse_error(with(R"(, "widht": 7)")),
              HasSubstr("key 'vision_cfg.widht' is not one Lethe knows (did you mean 'width'?)"));
  // Options that do not change an embedding are accepted.
  EXPECT_NO_THROW(parse_openclip_config(
      with(R"(, "patch_dropout": 0.5, "output_tokens": false)", "", R"(, "cast_dtype": "fp16")"), "m.json"));
}

TEST(OpenClipArch, InfersTheShapesOpenAiStyle) {
  // A tiny model: width 32 is not a multiple of 64, so heads cannot be inferred.
  const auto tiny = state_dict(*make_tiny(1));
  EXPECT_THAT(input_error([&] { infer_openclip_arch(tiny, "w.safetensors"); }),
              HasSubstr("vision_cfg.width = 32 is not a multiple of 64"));
  // 64-wide towers: everything else follows from the tensors.
  auto cfg = tiny_config();
  cfg.vision_width = cfg.text_width = 64;
  cfg.vision_heads = cfg.text_heads = 1;
  cfg.vision_layers = 2;
  cfg.mlp_ratio = 2.0;
  torch::manual_seed(0);
  Clip wide(cfg.resolved());
  const auto c = infer_openclip_arch(state_dict(*wide), "w.safetensors");
  EXPECT_EQ(c.image_size, 16);
  EXPECT_EQ(c.patch_size, 8);
  EXPECT_EQ(c.vision_width, 64);
  EXPECT_EQ(c.vision_heads, 1);
  EXPECT_EQ(c.vision_layers, 2);
  EXPECT_EQ(c.text_layers, 1);
  EXPECT_EQ(c.context_length, 16);
  EXPECT_EQ(c.vocab_size, kVocab);
  EXPECT_EQ(c.embed_dim, 32);
  EXPECT_DOUBLE_EQ(c.mlp_ratio, 2.0);
  EXPECT_EQ(c.activation, "quick_gelu");
}

TEST(OpenClipArch, ForeignArchitecturesAreNamedByTheirTensors) {
  auto w = state_dict(*make_tiny(1));
  auto with = [&](const std::string& name) {
    auto x = w;
    x[name] = torch::zeros({2});
    return input_error([&] { infer_openclip_arch(x, "w.safetensors"); });
  };
  EXPECT_THAT(with("visual.attn_pool.query"), HasSubstr("attentional pooling"));
  EXPECT_THAT(with("visual.trunk.stem.0.weight"), HasSubstr("a timm image tower"));
  EXPECT_THAT(with("text.transformer.embeddings.word_embeddings.weight"), HasSubstr("custom text tower"));
  EXPECT_THAT(with("logit_bias"), HasSubstr("SigLIP"));
  EXPECT_THAT(with("transformer.resblocks.0.ls_1.gamma"), HasSubstr("layer scale"));
  auto no_conv = w;
  no_conv.erase("visual.conv1.weight");
  EXPECT_THAT(input_error([&] { infer_openclip_arch(no_conv, "w.safetensors"); }),
              HasSubstr("'w.safetensors' lack tensor 'visual.conv1.weight'"));
}

TEST(OpenClipArch, AConfigThatDisagreesWithTheTensorsNamesBoth) {
  const auto w = state_dict(*make_tiny(1));
  auto cfg = tiny_config();
  EXPECT_NO_THROW(check_openclip_arch(cfg, w, "c.json", "w.safetensors"));
  auto wider = cfg;
  wider.vision_width = 64;
  EXPECT_THAT(input_error([&] { check_openclip_arch(wider, w, "c.json", "w.safetensors"); }),
              HasSubstr("OpenCLIP config 'c.json' says vision_cfg.width = 64 but tensor "
                        "'visual.conv1.weight' of 'w.safetensors' has shape [32, 3, 8, 8] "
                        "(vision_cfg.width = 32)"));
  auto deeper = cfg;
  deeper.text_layers = 3;
  EXPECT_THAT(input_error([&] { check_openclip_arch(deeper, w, "c.json", "w.safetensors"); }),
              HasSubstr("text_cfg.layers = 3 but tensor 'transformer.resblocks.*'"));
  auto ratio = cfg;
  ratio.mlp_ratio = 2.0;
  EXPECT_THAT(input_error([&] { check_openclip_arch(ratio, w, "c.json", "w.safetensors"); }),
              HasSubstr("mlp_ratio = 2 but tensor 'visual.transformer.resblocks.0.mlp.c_fc.weight'"));
}

TEST(OpenClipArch, NormalizingDropsWhatOpenClipIgnoresAndWidensHalves) {
  auto w = state_dict(*make_tiny(1));
  TensorMap half;
  for (const auto& [k, t] : w) half[k] = t.to(torch::kBFloat16);
  half["input_resolution"] = torch::tensor(16);
  half["attn_mask"] = torch::zeros({16, 16});
  const auto n = normalize_openclip_weights(half);
  EXPECT_FALSE(n.count("input_resolution"));
  EXPECT_FALSE(n.count("attn_mask"));
  EXPECT_EQ(n.size(), w.size());
  for (const auto& [k, t] : n) EXPECT_EQ(t.scalar_type(), torch::kFloat) << k;
}

TEST(OpenClipArch, TheModelCfgRoundTrips) {
  auto cfg = tiny_config();
  cfg.activation = "quick_gelu";
  const auto j = openclip_model_cfg(cfg);
  EXPECT_EQ(j.at("vision_cfg").at("head_width"), 16);
  const auto back = parse_openclip_config(j.dump(), "export").model;
  for (auto f : {&ClipConfig::image_size, &ClipConfig::patch_size, &ClipConfig::vision_width,
                 &ClipConfig::vision_layers, &ClipConfig::vision_heads, &ClipConfig::text_width,
                 &ClipConfig::text_layers, &ClipConfig::text_heads, &ClipConfig::context_length,
                 &ClipConfig::vocab_size, &ClipConfig::embed_dim})
    EXPECT_EQ(back.*f, cfg.*f);
  EXPECT_EQ(back.activation, "quick_gelu");
}

TEST(QuickGelu, TheMlpComputesXTimesSigmoidOf1702X) {
  auto cfg = tiny_config();
  torch::manual_seed(4);
  Clip gelu(cfg);
  cfg.activation = "quick_gelu";
  Clip quick(cfg);
  load_state_dict(*quick, state_dict(*gelu));
  auto mlp = [](Clip& m) { return m->named_modules()["transformer.resblocks.0.mlp"]->as<MlpImpl>(); };
  auto x = torch::randn({3, 32});
  auto* q = mlp(quick);
  auto h = q->c_fc->forward(x);
  EXPECT_TRUE(torch::allclose(q->forward(x), q->c_proj->forward(h * torch::sigmoid(1.702 * h)), 1e-6, 1e-6));
  EXPECT_FALSE(torch::allclose(q->forward(x), mlp(gelu)->forward(x), 1e-4, 1e-4));
}

}  // namespace
}  // namespace lethe::models
