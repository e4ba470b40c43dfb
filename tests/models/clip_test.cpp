#include "lethe/models/clip.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.h"
#include "lethe/core/context.h"
#include "lethe/core/tensor_map.h"

namespace lethe::models {
namespace {

using ::testing::HasSubstr;
using namespace lethe::models::testing;

using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

// OpenCLIP's state-dict layout of a CLIP, written out from open_clip/model.py and
// transformer.py (CLIP, VisionTransformer, ResidualAttentionBlock), in PyTorch's order: a
// module's own parameters first, then its children in the order they were assigned.
Shapes openclip_layout(int64_t image, int64_t patch, int64_t vw, int64_t vl, int64_t tw,
                       int64_t tl, int64_t ctx, int64_t vocab, int64_t embed) {
  Shapes s;
  auto add = [&](Shapes more) { s.insert(s.end(), more.begin(), more.end()); };
  auto blocks = [&](const std::string& prefix, int64_t w, int64_t layers) {
    for (int64_t i = 0; i < layers; ++i) {
      const std::string b = prefix + "resblocks." + std::to_string(i) + ".";
      add({{b + "ln_1.weight", {w}},
           {b + "ln_1.bias", {w}},
           {b + "attn.in_proj_weight", {3 * w, w}},
           {b + "attn.in_proj_bias", {3 * w}},
           {b + "attn.out_proj.weight", {w, w}},
           {b + "attn.out_proj.bias", {w}},
           {b + "ln_2.weight", {w}},
           {b + "ln_2.bias", {w}},
           {b + "mlp.c_fc.weight", {4 * w, w}},
           {b + "mlp.c_fc.bias", {4 * w}},
           {b + "mlp.c_proj.weight", {w, 4 * w}},
           {b + "mlp.c_proj.bias", {w}}});
    }
  };
  const int64_t grid = image / patch;
  add({{"positional_embedding", {ctx, tw}},
       {"text_projection", {tw, embed}},
       {"logit_scale", {}},
       {"visual.class_embedding", {vw}},
       {"visual.positional_embedding", {1 + grid * grid, vw}},
       {"visual.proj", {vw, embed}},
       {"visual.conv1.weight", {vw, 3, patch, patch}},
       {"visual.ln_pre.weight", {vw}},
       {"visual.ln_pre.bias", {vw}}});
  blocks("visual.transformer.", vw, vl);
  add({{"visual.ln_post.weight", {vw}}, {"visual.ln_post.bias", {vw}}});
  blocks("transformer.", tw, tl);
  add({{"token_embedding.weight", {vocab, tw}},
       {"ln_final.weight", {tw}},
       {"ln_final.bias", {tw}}});
  return s;
}

Shapes model_layout(const ClipImpl& m) {
  Shapes s;
  for (const auto& p : m.named_parameters()) s.emplace_back(p.key(), p.value().sizes().vec());
  return s;
}

// The one full-size construction of the suite (~151 M parameters, ~0.6 GB).
TEST(Clip, ViTB32HasOpenClipNamesShapesAndCount) {
  ClipConfig c;
  c.preset = "ViT-B-32";
  torch::manual_seed(0);
  Clip model(c.resolved());
  EXPECT_EQ(model_layout(*model), openclip_layout(224, 32, 768, 12, 512, 12, 77, 49408, 512));
  int64_t total = 0;
  for (const auto& p : model->parameters()) total += p.numel();
  EXPECT_EQ(total, 151277313);  // open_clip.create_model('ViT-B-32') parameter count
  EXPECT_EQ(model->named_buffers().size(), 0u);  // the causal mask is not state
  EXPECT_NEAR(model->logit_scale.item<double>(), 2.6592, 1e-6);
}

TEST(Clip, BaseHasOpenClipLayout) {
  ClipConfig c;
  c.preset = "base";
  c.vocab_size = 100;
  torch::manual_seed(0);
  Clip model(c.resolved());
  EXPECT_EQ(model_layout(*model), openclip_layout(64, 8, 256, 6, 256, 6, 32, 100, 256));
}

TEST(Clip, OutputShapes) {
  auto model = make_tiny(0);
  EXPECT_EQ(model->encode_image(torch::randn({3, 3, 16, 16})).sizes(), (std::vector<int64_t>{3, 32}));
  auto t = tokens({caption({1, 2}, 16), caption({3}, 16)});
  EXPECT_EQ(model->encode_text(t).sizes(), (std::vector<int64_t>{2, 32}));
  // Shorter sequences than the context are fine (positions and mask are sliced).
  EXPECT_EQ(model->encode_text(t.slice(1, 0, 5)).sizes(), (std::vector<int64_t>{2, 32}));
}

TEST(Clip, TextEmbeddingIgnoresEverythingAfterEndOfText) {
  auto model = make_tiny(1);
  auto padded = model->encode_text(tokens({caption({5, 6, 7}, 16)}));
  auto short_ = model->encode_text(tokens({caption({5, 6, 7}, 5)}));
  auto junk = model->encode_text(tokens({caption({5, 6, 7}, 16, /*pad=*/9)}));
  EXPECT_TRUE(torch::allclose(padded, short_, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(padded, junk, 1e-5, 1e-6));
  // Control: a word before <end_of_text> does change it.
  auto other = model->encode_text(tokens({caption({5, 8, 7}, 16)}));
  EXPECT_FALSE(torch::allclose(padded, other, 1e-4, 1e-4));
}

TEST(Clip, TextIsPooledAtTheLargestId) {
  auto model = make_tiny(2);
  // Same prefix up to <end_of_text> at position 3; row 1 differs only afterwards: causal
  // attention means the pooled position cannot see the difference.
  auto t = tokens({{kSot, 4, 5, kEot, 1, 2, 3}, {kSot, 4, 5, kEot, 7, 8, 9}});
  auto e = model->encode_text(t);
  EXPECT_TRUE(torch::allclose(e[0], e[1], 1e-5, 1e-6));
  // Moving <end_of_text> moves the pooled position.
  auto moved = model->encode_text(tokens({{kSot, 4, 5, 6, kEot, 2, 3}}));
  EXPECT_FALSE(torch::allclose(e[0], moved[0], 1e-4, 1e-4));
}

TEST(Clip, RowsOfABatchAreIndependent) {
  auto model = make_tiny(3);
  model->eval();
  auto images = torch::randn({4, 3, 16, 16});
  auto t = tokens({caption({1}, 16), caption({2, 3}, 16), caption({4, 5, 6}, 16), caption({}, 16)});
  auto img = model->encode_image(images), txt = model->encode_text(t);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(torch::allclose(img[i], model->encode_image(images.slice(0, i, i + 1))[0], 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(txt[i], model->encode_text(t.slice(0, i, i + 1))[0], 1e-5, 1e-6));
  }
}

// Training runs under bf16 autocast (Context precision "bf16"): matmuls in bf16, the residual
// stream and LayerNorms in fp32, gradients reaching every parameter.
TEST(Clip, RunsUnderBfloat16Autocast) {
  auto model = make_tiny(4);
  auto images = torch::randn({2, 3, 16, 16});
  auto t = tokens({caption({1, 2}, 16), caption({3}, 16)});
  auto img32 = model->encode_image(images), txt32 = model->encode_text(t);
  ContextConfig cc;
  cc.precision = "bf16";
  Context ctx(cc);
  torch::Tensor img16, txt16;
  {
    AutocastGuard ac(ctx);
    img16 = model->encode_image(images);
    txt16 = model->encode_text(t);
    (img16.to(torch::kFloat).sum() + txt16.to(torch::kFloat).sum()).backward();
  }
  EXPECT_TRUE(torch::allclose(img16.to(torch::kFloat), img32, 0.05, 0.05));
  EXPECT_TRUE(torch::allclose(txt16.to(torch::kFloat), txt32, 0.05, 0.05));
  for (const auto& p : model->named_parameters()) {
    if (p.key() == "logit_scale") continue;
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_EQ(p.value().grad().scalar_type(), torch::kFloat) << p.key();
  }
}

TEST(Clip, InitialisationFollowsTheGlobalSeed) {
  auto a = state_dict(*make_tiny(7)), b = state_dict(*make_tiny(7)), c = state_dict(*make_tiny(8));
  EXPECT_EQ(norm(sub(a, b)), 0.0);
  EXPECT_GT(norm(sub(a, c)), 0.0);
  // OpenCLIP's text init: token embedding N(0, 0.02²), positional N(0, 0.01²).
  ClipConfig cfg;
  cfg.preset = "tiny";
  cfg.vocab_size = 4000;
  torch::manual_seed(0);
  Clip big(cfg.resolved());
  auto p = big->named_parameters();
  EXPECT_NEAR(p["token_embedding.weight"].std().item<double>(), 0.02, 0.001);
  EXPECT_NEAR(p["positional_embedding"].std().item<double>(), 0.01, 0.002);
}

TEST(Clip, LogitScale) {
  auto model = make_tiny(0);
  EXPECT_NEAR(model->logit_scale_exp().item<double>(), std::exp(2.6592), 1e-4);
  EXPECT_EQ(model->logit_scale_exp().dim(), 0);
  {
    torch::NoGradGuard no_grad;
    model->logit_scale.fill_(5.0);
  }
  EXPECT_DOUBLE_EQ(model->logit_scale_exp().item<double>(), 100.0);
}

TEST(Clip, ImageParamsAreTheVisualTower) {
  auto model = make_tiny(0);
  int64_t image = 0, other = 0;
  for (const auto& p : model->named_parameters()) (ClipImpl::is_image_param(p.key()) ? image : other)++;
  EXPECT_EQ(image, 5 + 12 + 3);  // conv1, class, pos, ln_pre×2, one block, ln_post×2, proj
  EXPECT_EQ(other, 2 + 12 + 3 + 1);
  EXPECT_FALSE(ClipImpl::is_image_param("logit_scale"));
  EXPECT_FALSE(ClipImpl::is_image_param("transformer.resblocks.0.ln_1.weight"));
}

TEST(Clip, Errors) {
  ClipConfig c;
  c.preset = "tiny";
  EXPECT_THAT(input_error([&] { Clip m(c.resolved()); }),
              HasSubstr("config key 'model.vocab_size' is 0: set it from the tokenizer"));
  auto model = make_tiny(0);
  EXPECT_THAT(input_error([&] { model->encode_text(torch::zeros({2, 17}, torch::kLong)); }),
              HasSubstr("tokens must be (N,L) int64 with L <= 16 (model.context_length), got [2, 17] Long"));
  EXPECT_THAT(input_error([&] { model->encode_text(torch::zeros({2, 4})); }),
              HasSubstr("got [2, 4] Float"));
  EXPECT_THAT(input_error([&] { model->encode_image(torch::zeros({2, 3, 8, 8})); }),
              HasSubstr("images must be (N,3,16,16)"));
}

}  // namespace
}  // namespace lethe::models
