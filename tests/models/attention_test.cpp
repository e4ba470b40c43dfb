#include "lethe/models/attention.h"

#include <gtest/gtest.h>

#include "lethe/models/transformer.h"

namespace lethe::models {
namespace {

// PyTorch's own nn::MultiheadAttention (sequence-first) with our weights is the oracle.
TEST(SelfAttention, MatchesTorchMultiheadAttention) {
  torch::manual_seed(0);
  const int64_t w = 16, h = 4, n = 3, l = 5;
  SelfAttention attn(AttentionOptions(w, h));
  torch::nn::MultiheadAttention ref(torch::nn::MultiheadAttentionOptions(w, h));
  {
    torch::NoGradGuard no_grad;
    attn->in_proj_bias.normal_();  // zero at init; make the test see the biases
    attn->out_proj->bias.normal_();
    ref->in_proj_weight.copy_(attn->in_proj_weight);
    ref->in_proj_bias.copy_(attn->in_proj_bias);
    ref->out_proj->weight.copy_(attn->out_proj->weight);
    ref->out_proj->bias.copy_(attn->out_proj->bias);
  }
  auto x = torch::randn({n, l, w});
  for (const auto& mask : {torch::Tensor(), causal_mask(l)}) {
    auto ours = attn->forward(x, mask);
    auto xs = x.transpose(0, 1);
    auto theirs = std::get<0>(ref->forward(xs, xs, xs, {}, /*need_weights=*/false, mask));
    ASSERT_EQ(ours.sizes(), x.sizes());
    EXPECT_TRUE(torch::allclose(ours, theirs.transpose(0, 1), 1e-5, 1e-6))
        << "mask defined: " << mask.defined();
  }
}

TEST(SelfAttention, ParameterNamesFollowMultiheadAttention) {
  SelfAttention attn(AttentionOptions(8, 2));
  std::vector<std::string> names;
  for (const auto& p : attn->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names, (std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight",
                                             "out_proj.bias"}));
  EXPECT_EQ(attn->in_proj_weight.sizes(), (std::vector<int64_t>{24, 8}));
  EXPECT_EQ(attn->named_buffers().size(), 0u);
}

TEST(SelfAttention, RowsOfABatchAreIndependent) {
  torch::manual_seed(1);
  SelfAttention attn(AttentionOptions(16, 2));
  auto x = torch::randn({4, 7, 16});
  auto all = attn->forward(x, causal_mask(7));
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_TRUE(torch::allclose(all[i], attn->forward(x.slice(0, i, i + 1), causal_mask(7))[0],
                                1e-5, 1e-6));
}

// Central differences in float64 against autograd, for the input, the packed projection and
// (with B moved off zero) both LoRA factors.
TEST(SelfAttention, GradientsMatchFiniteDifferences) {
  torch::manual_seed(2);
  LoraSpec lora;
  lora.rank = 2;
  lora.attn = true;
  SelfAttention attn(AttentionOptions(8, 2).lora(lora));
  attn->to(torch::kDouble);
  {
    torch::NoGradGuard no_grad;
    attn->in_proj_lora_A.normal_();
    attn->in_proj_lora_B.normal_(0.0, 0.1);
    attn->out_proj->lora_B.normal_(0.0, 0.1);
  }
  auto x = torch::randn({2, 4, 8}, torch::kDouble).requires_grad_();
  auto probe = torch::randn({2, 4, 8}, torch::kDouble);
  auto mask = causal_mask(4);
  auto f = [&] { return (attn->forward(x, mask) * probe).sum(); };
  f().backward();
  std::vector<std::pair<std::string, torch::Tensor>> checks = {
      {"x", x},
      {"in_proj_weight", attn->in_proj_weight},
      {"in_proj_lora_A", attn->in_proj_lora_A},
      {"in_proj_lora_B", attn->in_proj_lora_B},
      {"out_proj.lora_A", attn->out_proj->lora_A}};
  const double eps = 1e-6;
  for (auto& [name, t] : checks) {
    auto grad = t.grad().clone().view(-1);
    const int64_t numel = t.numel();
    for (int64_t i = 0; i < numel; i += std::max<int64_t>(1, numel / 7)) {
      double orig, plus, minus;
      {
        torch::NoGradGuard no_grad;
        auto flat = t.view(-1);  // shares storage with t
        orig = flat[i].item<double>();
        flat[i].fill_(orig + eps);
        plus = f().item<double>();
        flat[i].fill_(orig - eps);
        minus = f().item<double>();
        flat[i].fill_(orig);
      }
      const double numeric = (plus - minus) / (2 * eps);
      EXPECT_NEAR(grad[i].item<double>(), numeric, 1e-6 * (1 + std::abs(numeric)))
          << name << "[" << i << "]";
    }
  }
}

}  // namespace
}  // namespace lethe::models
