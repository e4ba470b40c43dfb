#include "lethe/models/cnn_encoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "lethe/core/context.h"
#include "lethe/core/error.h"

namespace lethe::models {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kSize = 16, kChannels = 8, kEmbed = 12, kClasses = 2;

CnnImageEncoder make_cnn(uint64_t seed = 0) {
  torch::manual_seed(seed);
  return CnnImageEncoder(CnnImageEncoderOptions(kSize, kEmbed, kClasses).channels(kChannels));
}

// n images per class: class 0 has vertical stripes, class 1 horizontal ones, both under noise.
// The stripes have zero mean, so only their orientation tells the classes apart; they are 4 px
// wide so that it survives the two 2×2 max-pools (1 px stripes do not, reliably).
std::pair<torch::Tensor, torch::Tensor> stripes(int64_t n) {
  auto wave = ((torch::arange(kSize) / 4) % 2).to(torch::kFloat) * 2 - 1;  // ±1, period 8
  auto vertical = wave.view({1, 1, 1, kSize}).expand({n, 3, kSize, kSize});
  auto horizontal = wave.view({1, 1, kSize, 1}).expand({n, 3, kSize, kSize});
  auto images = torch::cat({vertical, horizontal}) + 0.5 * torch::randn({2 * n, 3, kSize, kSize});
  auto labels = torch::cat({torch::zeros({n}, torch::kLong), torch::ones({n}, torch::kLong)});
  return {images, labels};
}

TEST(CnnImageEncoder, NamesAndShapes) {
  auto cnn = make_cnn();
  auto p = cnn->named_parameters();
  EXPECT_EQ(p["conv1.weight"].sizes(), (std::vector<int64_t>{8, 3, 3, 3}));
  EXPECT_EQ(p["conv2.weight"].sizes(), (std::vector<int64_t>{16, 8, 3, 3}));
  EXPECT_EQ(p["conv3.weight"].sizes(), (std::vector<int64_t>{32, 16, 3, 3}));
  EXPECT_EQ(p["norm3.weight"].sizes(), (std::vector<int64_t>{32}));
  EXPECT_EQ(p["proj.weight"].sizes(), (std::vector<int64_t>{kEmbed, 32}));
  EXPECT_EQ(p["head.weight"].sizes(), (std::vector<int64_t>{kClasses, kEmbed}));
  for (const char* n : {"conv1.bias", "norm1.weight", "norm1.bias", "norm2.bias", "proj.bias", "head.bias"})
    EXPECT_TRUE(p.contains(n)) << n;
  EXPECT_EQ(p.size(), 16u);
  EXPECT_EQ(p["conv1.weight"].scalar_type(), torch::kFloat);
  // Default base width.
  auto wide = CnnImageEncoder(CnnImageEncoderOptions(32, 64, 10));
  EXPECT_EQ(wide->named_parameters()["conv3.weight"].sizes(), (std::vector<int64_t>{128, 64, 3, 3}));
}

TEST(CnnImageEncoder, OutputShapesAndBatchIndependence) {
  auto cnn = make_cnn();
  auto images = torch::randn({3, 3, kSize, kSize});
  auto rep = cnn->encode(images);
  EXPECT_EQ(rep.sizes(), (std::vector<int64_t>{3, kEmbed}));
  EXPECT_EQ(cnn->classify(rep).sizes(), (std::vector<int64_t>{3, kClasses}));
  // GroupNorm is per sample: no image affects another's representation.
  for (int64_t i = 0; i < 3; ++i)
    EXPECT_TRUE(torch::allclose(rep[i], cnn->encode(images.slice(0, i, i + 1))[0], 1e-5, 1e-6));
  // Same output in eval mode (no running statistics).
  cnn->eval();
  EXPECT_TRUE(torch::allclose(cnn->encode(images), rep, 1e-5, 1e-6));
}

TEST(CnnImageEncoder, SgdLearnsASeparableProblem) {
  auto cnn = make_cnn();
  const auto [images, labels] = stripes(8);
  torch::optim::SGD sgd(cnn->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  auto loss_of = [&](const torch::Tensor& x, const torch::Tensor& y) {
    return torch::nn::functional::cross_entropy(cnn->classify(cnn->encode(x)), y);
  };
  const double initial = loss_of(images, labels).item<double>();
  for (int step = 0; step < 25; ++step) {
    sgd.zero_grad();
    loss_of(images, labels).backward();
    sgd.step();
  }
  const double final_loss = loss_of(images, labels).item<double>();
  EXPECT_LT(final_loss, 0.5 * initial) << "initial " << initial;
  // And it generalises to fresh noise.
  const auto [test_images, test_labels] = stripes(8);
  auto predicted = cnn->classify(cnn->encode(test_images)).argmax(1);
  EXPECT_GE(predicted.eq(test_labels).sum().item<int64_t>(), 14);
}

TEST(CnnImageEncoder, SameSeedSameParameters) {
  auto a = make_cnn(7), b = make_cnn(7), c = make_cnn(8);
  auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
  for (const auto& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  EXPECT_FALSE(torch::equal(pa["conv1.weight"], pc["conv1.weight"]));
  EXPECT_FALSE(torch::equal(pa["head.weight"], pc["head.weight"]));
}

TEST(CnnImageEncoder, RejectsBadInput) {
  auto cnn = make_cnn();
  try {
    cnn->encode(torch::randn({2, 3, 32, 32}));
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("images must be (N,3,16,16) float for this model, got [2, 3, 32, 32]"));
  }
  EXPECT_THROW(cnn->encode(torch::randn({3, kSize, kSize})), InputError);
  EXPECT_THROW(cnn->encode(torch::randn({2, 1, kSize, kSize})), InputError);
  EXPECT_THROW(cnn->encode(torch::zeros({2, 3, kSize, kSize}, torch::kLong)), InputError);
  try {
    cnn->classify(torch::randn({2, kEmbed + 1}));
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("representation must be (N,12) for this model, got [2, 13]"));
  }
  EXPECT_THROW(CnnImageEncoder(CnnImageEncoderOptions(kSize, kEmbed, kClasses).channels(12)), InputError);
  EXPECT_THROW(CnnImageEncoder(CnnImageEncoderOptions(2, kEmbed, kClasses)), InputError);
  EXPECT_THROW(CnnImageEncoder(CnnImageEncoderOptions(kSize, 0, kClasses)), InputError);
}

// Client training runs under bf16 autocast (Context precision "bf16"): convolutions and linears in
// bf16, GroupNorm in fp32, gradients reaching every parameter in fp32.
TEST(CnnImageEncoder, RunsUnderBfloat16Autocast) {
  auto cnn = make_cnn();
  auto images = torch::randn({2, 3, kSize, kSize});
  auto logits32 = cnn->classify(cnn->encode(images));
  ContextConfig cc;
  cc.precision = "bf16";
  Context ctx(cc);
  torch::Tensor logits16;
  {
    AutocastGuard ac(ctx);
    logits16 = cnn->classify(cnn->encode(images));
    logits16.to(torch::kFloat).sum().backward();
  }
  EXPECT_TRUE(torch::allclose(logits16.to(torch::kFloat), logits32, 0.05, 0.05));
  for (const auto& p : cnn->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_EQ(p.value().grad().scalar_type(), torch::kFloat) << p.key();
  }
}

TEST(CnnImageEncoder, RunsOnTheInputsDevice) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto cnn = make_cnn();
  auto images = torch::randn({4, 3, kSize, kSize});
  auto cpu = cnn->classify(cnn->encode(images));
  cnn->to(torch::kCUDA);
  auto gpu = cnn->classify(cnn->encode(images.to(torch::kCUDA)));
  EXPECT_TRUE(gpu.is_cuda());
  EXPECT_TRUE(torch::allclose(gpu.cpu(), cpu, 1e-3, 1e-4));
}

}  // namespace
}  // namespace lethe::models
