#include "lethe/models/lora.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.h"
#include "lethe/core/tensor_map.h"

namespace lethe::models {
namespace {

using ::testing::HasSubstr;
using namespace lethe::models::testing;

TEST(LoraLinear, WithoutRankIsNnLinear) {
  torch::manual_seed(0);
  LoraLinear lin(LoraLinearOptions(6, 4));
  std::vector<std::string> names;
  for (const auto& p : lin->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias"}));
  auto x = torch::randn({3, 6});
  EXPECT_TRUE(torch::allclose(lin->forward(x), torch::matmul(x, lin->weight.t()) + lin->bias));
  // nn.Linear's init: |w|, |b| ≤ 1/√in.
  EXPECT_LE(lin->weight.abs().max().item<double>(), 1.0 / std::sqrt(6.0));
  EXPECT_LE(lin->bias.abs().max().item<double>(), 1.0 / std::sqrt(6.0));
}

TEST(LoraLinear, ForwardIsBasePlusScaledLowRankUpdate) {
  torch::manual_seed(1);
  LoraLinear lin(LoraLinearOptions(6, 4).rank(2).alpha(3.0));
  EXPECT_EQ(lin->lora_A.sizes(), (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(lin->lora_B.sizes(), (std::vector<int64_t>{4, 2}));
  {
    torch::NoGradGuard no_grad;
    lin->lora_A.normal_();
    lin->lora_B.normal_();
  }
  auto x = torch::randn({5, 6});
  auto w = lin->weight + 1.5 * torch::matmul(lin->lora_B, lin->lora_A);  // α/r = 3/2
  EXPECT_TRUE(torch::allclose(lin->forward(x), torch::matmul(x, w.t()) + lin->bias, 1e-5, 1e-5));
}

TEST(Lora, ClipFactorNamesAndShapes) {
  auto model = make_tiny(0, 4, {"attn", "mlp"});
  auto p = model->named_parameters();
  const std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
      {"attn.in_proj_lora_A", {4, 32}}, {"attn.in_proj_lora_B", {96, 4}},
      {"attn.out_proj.lora_A", {4, 32}}, {"attn.out_proj.lora_B", {32, 4}},
      {"mlp.c_fc.lora_A", {4, 32}},      {"mlp.c_fc.lora_B", {128, 4}},
      {"mlp.c_proj.lora_A", {4, 128}},   {"mlp.c_proj.lora_B", {32, 4}}};
  for (const std::string prefix : {"visual.transformer.resblocks.0.", "transformer.resblocks.0."})
    for (const auto& [name, shape] : expected) {
      ASSERT_TRUE(p.contains(prefix + name)) << prefix + name;
      EXPECT_EQ(p[prefix + name].sizes(), shape) << prefix + name;
    }
  int64_t factors = 0;
  for (const auto& q : p) factors += is_lora_param(q.key());
  EXPECT_EQ(factors, 16);
  // attn only: no MLP factors.
  for (const auto& q : make_tiny(0, 4, {"attn"})->named_parameters())
    EXPECT_EQ(q.key().find("mlp.") != std::string::npos && is_lora_param(q.key()), false) << q.key();
}

TEST(Lora, AtInitTheModelIsItsBaseModel) {
  auto base = make_tiny(5);
  auto adapted = make_tiny(5, 4, {"attn", "mlp"});
  // Same seed → same base weights, whether or not adapters exist.
  auto sa = state_dict(*adapted);
  for (const auto& [name, t] : state_dict(*base)) EXPECT_TRUE(torch::equal(t, sa.at(name))) << name;
  for (const auto& [name, t] : sa) {
    if (name.ends_with("lora_B")) {
      EXPECT_EQ(t.abs().max().item<float>(), 0.0f) << name;
    } else if (name.ends_with("lora_A")) {
      EXPECT_GT(t.abs().max().item<float>(), 0.0f) << name;
    }
  }
  auto images = torch::randn({2, 3, 16, 16});
  auto t = tokens({caption({1, 2}, 16), caption({3}, 16)});
  EXPECT_TRUE(torch::equal(base->encode_image(images), adapted->encode_image(images)));
  EXPECT_TRUE(torch::equal(base->encode_text(t), adapted->encode_text(t)));
}

TEST(Lora, OnlyFactorsTrainAndReceiveGradients) {
  auto model = make_tiny(6, 2, {"attn", "mlp"});
  for (const auto& p : model->named_parameters())
    EXPECT_EQ(p.value().requires_grad(), is_lora_param(p.key())) << p.key();
  auto loss = model->encode_image(torch::randn({2, 3, 16, 16})).pow(2).sum() +
              model->encode_text(tokens({caption({1, 2}, 16)})).pow(2).sum();
  loss.backward();
  for (const auto& p : model->named_parameters()) {
    if (!is_lora_param(p.key())) {
      EXPECT_FALSE(p.value().grad().defined()) << p.key();
    } else if (p.key().ends_with("lora_B")) {
      EXPECT_GT(p.value().grad().abs().max().item<float>(), 0.0f) << p.key();
    } else {  // dL/dA = (α/r)·Bᵀ·(…) is exactly zero while B = 0
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_EQ(p.value().grad().abs().max().item<float>(), 0.0f) << p.key();
    }
  }
  // Once B has moved, A receives gradient too.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters())
      if (p.key().ends_with("lora_B")) p.value().normal_(0.0, 0.1);
  }
  model->zero_grad();
  model->encode_image(torch::randn({2, 3, 16, 16})).pow(2).sum().backward();
  EXPECT_GT(model->named_parameters()["visual.transformer.resblocks.0.attn.in_proj_lora_A"]
                .grad().abs().max().item<float>(),
            0.0f);
}

TEST(Lora, SetTrainableForLoraWithLayerNormsAndProjections) {
  auto model = make_tiny(0, 2);
  int64_t expected = 0;
  const int64_t n = set_trainable_for_lora(*model, /*train_ln_and_proj=*/true);
  for (const auto& p : model->named_parameters()) {
    const auto& k = p.key();
    const bool want = is_lora_param(k) || k.find("ln_") != std::string::npos ||
                      k == "visual.proj" || k == "text_projection" || k == "logit_scale";
    EXPECT_EQ(p.value().requires_grad(), want) << k;
    if (want) expected += p.value().numel();
  }
  EXPECT_EQ(n, expected);
  EXPECT_TRUE(model->named_parameters()["visual.ln_pre.weight"].requires_grad());
  EXPECT_FALSE(model->named_parameters()["token_embedding.weight"].requires_grad());
  EXPECT_FALSE(model->named_parameters()["visual.conv1.weight"].requires_grad());
}

// After B moves, the adapted model equals a plain model with W₀ + (α/r)·B·A folded in.
TEST(Lora, MergedWeightsReproduceTheAdaptedModel) {
  auto adapted = make_tiny(9, 4, {"attn", "mlp"});
  {
    torch::NoGradGuard no_grad;
    for (auto& p : adapted->named_parameters())
      if (p.key().ends_with("lora_B")) p.value().normal_(0.0, 0.2);
  }
  auto merged = merge_lora(state_dict(*adapted), adapted->config().lora_alpha);
  for (const auto& [name, t] : merged) EXPECT_FALSE(is_lora_param(name)) << name;
  auto plain = make_tiny(0);
  load_state_dict(*plain, merged);  // strict: exactly the plain model's tensors
  auto sd = state_dict(*adapted);
  const std::string w = "transformer.resblocks.0.attn.in_proj_";
  auto manual = sd.at(w + "weight") + (16.0 / 4.0) * torch::matmul(sd.at(w + "lora_B"), sd.at(w + "lora_A"));
  EXPECT_TRUE(torch::allclose(merged.at(w + "weight"), manual, 1e-6, 1e-6));
  EXPECT_FALSE(torch::allclose(merged.at(w + "weight"), sd.at(w + "weight"), 1e-3, 1e-3));

  auto images = torch::randn({2, 3, 16, 16});
  auto t = tokens({caption({1, 2}, 16), caption({3}, 16)});
  EXPECT_TRUE(torch::allclose(adapted->encode_image(images), plain->encode_image(images), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(adapted->encode_text(t), plain->encode_text(t), 1e-4, 1e-5));
}

TEST(Lora, MergeErrors) {
  TensorMap m = {{"l.weight", torch::zeros({4, 3})},
                 {"l.lora_A", torch::zeros({2, 3})},
                 {"l.lora_B", torch::zeros({4, 2})}};
  auto missing_b = m;
  missing_b.erase("l.lora_B");
  EXPECT_THAT(input_error([&] { merge_lora(missing_b, 1.0); }),
              HasSubstr("LoRA factor 'l.lora_A' has no partner 'l.lora_B'"));
  auto missing_a = m;
  missing_a.erase("l.lora_A");
  EXPECT_THAT(input_error([&] { merge_lora(missing_a, 1.0); }),
              HasSubstr("LoRA factor 'l.lora_B' has no partner 'l.lora_A'"));
  auto missing_w = m;
  missing_w.erase("l.weight");
  EXPECT_THAT(input_error([&] { merge_lora(missing_w, 1.0); }),
              HasSubstr("LoRA factor 'l.lora_A' adapts 'l.weight', which is missing"));
  auto bad = m;
  bad["l.lora_B"] = torch::zeros({5, 2});
  EXPECT_THAT(input_error([&] { merge_lora(bad, 1.0); }),
              HasSubstr("LoRA factors 'l.lora_A' [2, 3] and 'l.lora_B' [5, 2] do not fit 'l.weight' [4, 3]"));
}

}  // namespace
}  // namespace lethe::models
