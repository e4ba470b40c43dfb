#include "lethe/models/transformer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lethe::models {
namespace {

TEST(CausalMask, BlocksOnlyLaterPositions) {
  auto m = causal_mask(3);
  const float inf = std::numeric_limits<float>::infinity();
  auto expected = torch::tensor({0.0f, -inf, -inf, 0.0f, 0.0f, -inf, 0.0f, 0.0f, 0.0f}).view({3, 3});
  EXPECT_TRUE(torch::equal(m, expected));
}

TEST(Transformer, OpenClipBlockNames) {
  Transformer t(TransformerOptions(8, 2, 2).mlp_width(24));
  std::vector<std::string> names;
  for (const auto& p : t->named_parameters()) names.push_back(p.key());
  const std::vector<std::string> block = {
      "ln_1.weight",    "ln_1.bias",       "attn.in_proj_weight", "attn.in_proj_bias",
      "attn.out_proj.weight", "attn.out_proj.bias", "ln_2.weight", "ln_2.bias",
      "mlp.c_fc.weight", "mlp.c_fc.bias",  "mlp.c_proj.weight",   "mlp.c_proj.bias"};
  std::vector<std::string> expected;
  for (int i = 0; i < 2; ++i)
    for (const auto& n : block) expected.push_back("resblocks." + std::to_string(i) + "." + n);
  EXPECT_EQ(names, expected);
  auto params = t->named_parameters();
  EXPECT_EQ(params["resblocks.1.mlp.c_fc.weight"].sizes(), (std::vector<int64_t>{24, 8}));
  EXPECT_EQ(params["resblocks.1.mlp.c_proj.weight"].sizes(), (std::vector<int64_t>{8, 24}));
}

TEST(Transformer, DefaultMlpWidthIsFourTimesWidth) {
  Transformer t(TransformerOptions(8, 1, 2));
  EXPECT_EQ(t->named_parameters()["resblocks.0.mlp.c_fc.weight"].sizes(),
            (std::vector<int64_t>{32, 8}));
}

// With the causal mask, position i sees only positions ≤ i: changing the last two tokens
// leaves the first four outputs alone (and, as a control, changes them without the mask).
TEST(Transformer, CausalMaskHidesLaterPositions) {
  torch::manual_seed(0);
  Transformer t(TransformerOptions(16, 2, 2));
  auto x = torch::randn({2, 6, 16});
  auto x2 = x.clone();
  x2.slice(1, 4, 6).normal_();
  auto mask = causal_mask(6);
  auto y = t->forward(x, mask), y2 = t->forward(x2, mask);
  EXPECT_TRUE(torch::allclose(y.slice(1, 0, 4), y2.slice(1, 0, 4), 1e-6, 1e-6));
  EXPECT_FALSE(torch::allclose(y.slice(1, 4, 6), y2.slice(1, 4, 6), 1e-3, 1e-3));
  auto u = t->forward(x), u2 = t->forward(x2);
  EXPECT_FALSE(torch::allclose(u.slice(1, 0, 4), u2.slice(1, 0, 4), 1e-3, 1e-3));
}

TEST(Transformer, ScaledNormalInitHasOpenClipStds) {
  torch::manual_seed(1);
  const int64_t w = 64, layers = 2;
  Transformer t(TransformerOptions(w, layers, 4));
  t->init_scaled_normal();
  auto p = t->named_parameters();
  auto near_std = [](const torch::Tensor& x, double s) {
    EXPECT_NEAR(x.std().item<double>(), s, 0.05 * s);
    EXPECT_NEAR(x.mean().item<double>(), 0.0, 0.05 * s);
  };
  near_std(p["resblocks.0.attn.in_proj_weight"], std::pow(w, -0.5));
  near_std(p["resblocks.1.attn.out_proj.weight"], std::pow(w, -0.5) * std::pow(2 * layers, -0.5));
  near_std(p["resblocks.0.mlp.c_fc.weight"], std::pow(2 * w, -0.5));
  near_std(p["resblocks.1.mlp.c_proj.weight"], std::pow(w, -0.5) * std::pow(2 * layers, -0.5));
  // Biases keep their nn defaults: zero for attention, uniform(±1/√in) for the MLP.
  EXPECT_EQ(p["resblocks.0.attn.in_proj_bias"].abs().max().item<float>(), 0.0f);
  EXPECT_LE(p["resblocks.0.mlp.c_fc.bias"].abs().max().item<float>(), std::pow(w, -0.5));
  EXPECT_GT(p["resblocks.0.mlp.c_fc.bias"].abs().max().item<float>(), 0.0f);
}

}  // namespace
}  // namespace lethe::models
