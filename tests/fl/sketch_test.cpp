#include "lethe/fl/sketch.h"

#include <gtest/gtest.h>

#include <cmath>

#include "fl/test_util.h"
#include "lethe/core/error.h"

namespace lethe::fl {
namespace {

// Largest principal angle (radians) between span(a) and span(b) of equal dimension.
double max_angle(const torch::Tensor& a, const torch::Tensor& b) {
  auto qa = std::get<0>(torch::linalg_qr(a.to(torch::kFloat64)));
  auto qb = std::get<0>(torch::linalg_qr(b.to(torch::kFloat64)));
  auto cosines = torch::linalg_svdvals(qa.t().matmul(qb)).clamp(-1, 1);
  return std::acos(cosines.min().item<double>());
}

TEST(Sketch, EnergyRank) {
  auto s = torch::tensor({3.0, 2.0, 1.0, 0.0});  // energies 9, 4, 1 of 14
  EXPECT_EQ(energy_rank(s, 0.5, 10), 1);          // 9/14 = 0.64
  EXPECT_EQ(energy_rank(s, 0.9, 10), 2);          // 13/14 = 0.93
  EXPECT_EQ(energy_rank(s, 0.97, 10), 3);
  EXPECT_EQ(energy_rank(s, 1.0, 10), 3);          // the zero direction is never needed
  EXPECT_EQ(energy_rank(s, 0.97, 2), 2);          // the cap
  EXPECT_EQ(energy_rank(torch::zeros({3}), 0.97, 10), 0);
}

TEST(Sketch, StreamingRecoversTheColumnSpaceOfLowRankUpdates) {
  torch::manual_seed(0);
  const int64_t d = 40, n = 30, r = 4;
  auto basis = std::get<0>(torch::linalg_qr(torch::randn({d, r}, torch::kFloat64)));
  torch::Tensor sketch;
  for (int step = 0; step < 6; ++step) {
    auto delta = basis.matmul(torch::randn({r, n}, torch::kFloat64)).to(torch::kFloat32);
    sketch = update_sketch(sketch, delta, {0.999, 32});
  }
  ASSERT_TRUE(sketch.defined());
  EXPECT_EQ(sketch.size(0), d);
  EXPECT_EQ(sketch.size(1), r);  // exact rank: nothing beyond the true span carries energy
  EXPECT_EQ(sketch.scalar_type(), torch::kFloat32);
  EXPECT_LT(max_angle(sketch, basis), 1e-3);
}

TEST(Sketch, KeepsTheTotalEnergyOfTheUpdates) {
  torch::manual_seed(1);
  auto a = torch::randn({12, 5}), b = torch::randn({12, 7});
  auto s = update_sketch(update_sketch({}, a, {1.0, 64}), b, {1.0, 64});
  // Untruncated, UΣ(UΣ)ᵀ equals Σ ΔW ΔWᵀ: the sketch is a square root of the updates' Gram.
  auto gram = a.matmul(a.t()) + b.matmul(b.t());
  EXPECT_TRUE(torch::allclose(s.matmul(s.t()), gram, 1e-3, 1e-3));
}

TEST(Sketch, TruncatesToTheEnergyAndCapsTheRank) {
  // Columns with energies 100, 1, 0.01: ε = 0.97 keeps one direction, ε = 0.9999 three.
  auto delta = torch::diag(torch::tensor({10.0f, 1.0f, 0.1f}));
  EXPECT_EQ(update_sketch({}, delta, {0.97, 8}).size(1), 1);
  EXPECT_EQ(update_sketch({}, delta, {0.99999, 8}).size(1), 3);
  EXPECT_EQ(update_sketch({}, delta, {0.99999, 2}).size(1), 2);
  EXPECT_FALSE(update_sketch({}, torch::zeros({3, 3}), {0.97, 8}).defined());
  torch::manual_seed(2);
  auto wide = torch::randn({30, 30});
  EXPECT_EQ(update_sketch({}, wide, {0.9999, 5}).size(1), 5);
}

TEST(Sketch, LoraFactorMatchesTheDenseUpdate) {
  torch::manual_seed(3);
  const int64_t d = 16, n = 10, r = 2;
  auto b_t = torch::randn({d, r}), a_t = torch::randn({r, n});
  auto b_k = b_t + 0.1 * torch::randn({d, r}), a_k = a_t + 0.1 * torch::randn({r, n});
  auto dense = b_k.matmul(a_k) - b_t.matmul(a_t);
  auto f = lora_delta_factor(b_k, a_k, b_t, a_t);
  EXPECT_EQ(f.size(0), d);
  EXPECT_LE(f.size(1), 2 * r);
  // Same Gram matrix as the dense update: same column space and singular values.
  EXPECT_TRUE(torch::allclose(f.matmul(f.t()).to(torch::kFloat32), dense.matmul(dense.t()), 1e-4, 1e-4));
}

TEST(Sketch, ModuleDeltas) {
  TensorMap global = {{"blk.attn.out_proj.lora_A", torch::randn({2, 6})},
                      {"blk.attn.out_proj.lora_B", torch::randn({5, 2})},
                      {"ln.bias", torch::zeros({5})},
                      {"proj", torch::zeros({5, 3})}};
  TensorMap update = {{"blk.attn.out_proj.lora_A", 0.1 * torch::randn({2, 6})},
                      {"blk.attn.out_proj.lora_B", 0.1 * torch::randn({5, 2})},
                      {"ln.bias", torch::ones({5})},
                      {"proj", torch::ones({5, 3})}};
  auto plain = matrix_deltas(global, update);
  EXPECT_EQ(plain.size(), 3u);  // every 2-D tensor, the bias left out
  EXPECT_FALSE(plain.count("ln.bias"));
  auto lora = lora_deltas("lora_A", "lora_B")(global, update);
  ASSERT_EQ(lora.size(), 2u);
  ASSERT_TRUE(lora.count("blk.attn.out_proj."));
  EXPECT_EQ(lora.at("blk.attn.out_proj.").size(0), 5);
  EXPECT_TRUE(lora.count("proj"));
  update.erase("blk.attn.out_proj.lora_A");
  lethe::testing::expect_input_error([&] { lora_deltas("lora_A", "lora_B")(global, update); },
                                     {"blk.attn.out_proj.lora_B", "no partner",
                                      "blk.attn.out_proj.lora_A"});
}

TEST(Sketch, WhatCannotBeFactorisedIsANumericalError) {
  auto delta = torch::ones({3, 4});
  delta[1][2] = std::nanf("");
  try {
    update_sketch({}, delta, {});
    ADD_FAILURE() << "expected a NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_STREQ(e.what(), "update sketch: the 3x4 matrix has non-finite entries");
  }
  // Finite in float32, but its σ (3e38·√12) is not.
  try {
    update_sketch({}, torch::full({3, 4}, 3e38f), {});
    ADD_FAILURE() << "expected a NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("overflows float32"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lethe::fl
