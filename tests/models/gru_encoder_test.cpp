#include "lethe/models/gru_encoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "lethe/core/context.h"
#include "lethe/core/error.h"
#include "fixtures.h"

namespace lethe::models {
namespace {

using ::testing::HasSubstr;
using testing::caption;
using testing::kEot;
using testing::kVocab;

constexpr int64_t kContext = 12, kWidth = 16, kEmbed = 8, kClasses = 2;

GruTextEncoder make_gru(uint64_t seed = 0) {
  torch::manual_seed(seed);
  return GruTextEncoder(GruTextEncoderOptions(kVocab, kContext, kEmbed, kClasses).width(kWidth));
}

torch::Tensor rows(const std::vector<std::vector<int64_t>>& r) {
  std::vector<int64_t> flat;
  for (const auto& row : r) flat.insert(flat.end(), row.begin(), row.end());
  return torch::tensor(flat, torch::kLong).view({static_cast<int64_t>(r.size()), -1});
}

TEST(GruTextEncoder, NamesAndShapes) {
  auto gru = make_gru();
  auto p = gru->named_parameters();
  EXPECT_EQ(p["token_embedding.weight"].sizes(), (std::vector<int64_t>{kVocab, kWidth}));
  EXPECT_EQ(p["gru.weight_ih_l0"].sizes(), (std::vector<int64_t>{3 * kWidth, kWidth}));
  EXPECT_EQ(p["gru.weight_hh_l0"].sizes(), (std::vector<int64_t>{3 * kWidth, kWidth}));
  EXPECT_EQ(p["gru.bias_ih_l0"].sizes(), (std::vector<int64_t>{3 * kWidth}));
  EXPECT_EQ(p["gru.bias_hh_l0"].sizes(), (std::vector<int64_t>{3 * kWidth}));
  EXPECT_EQ(p["proj.weight"].sizes(), (std::vector<int64_t>{kEmbed, kWidth}));
  EXPECT_EQ(p["head.weight"].sizes(), (std::vector<int64_t>{kClasses, kEmbed}));
  EXPECT_EQ(p.size(), 9u);
  EXPECT_EQ(p["gru.weight_ih_l0"].scalar_type(), torch::kFloat);
  auto tokens = rows({caption({1, 2, 3}, kContext), caption({4}, kContext), caption({}, kContext)});
  auto rep = gru->encode(tokens);
  EXPECT_EQ(rep.sizes(), (std::vector<int64_t>{3, kEmbed}));
  EXPECT_EQ(gru->classify(rep).sizes(), (std::vector<int64_t>{3, kClasses}));
  // Default width.
  auto wide = GruTextEncoder(GruTextEncoderOptions(kVocab, kContext, kEmbed, kClasses));
  EXPECT_EQ(wide->named_parameters()["token_embedding.weight"].sizes(), (std::vector<int64_t>{kVocab, 128}));
}

TEST(GruTextEncoder, DependsOnlyOnTokensUpToEndOfText) {
  auto gru = make_gru();
  auto tokens = rows({caption({5, 6, 7}, kContext), caption({8, 9}, kContext), caption({10}, kContext)});
  auto rep = gru->encode(tokens);
  // Each row alone gives its representation in the batch.
  for (int64_t i = 0; i < 3; ++i)
    EXPECT_TRUE(torch::allclose(gru->encode(tokens.slice(0, i, i + 1))[0], rep[i], 1e-5, 1e-6));
  // Words instead of padding after <end_of_text> (any id below it): nothing changes.
  auto noisy = tokens.clone();
  noisy.index_put_({0, torch::indexing::Slice(5, kContext)}, torch::randint(1, kEot, {kContext - 5}));
  noisy.index_put_({1, torch::indexing::Slice(4, kContext)}, 3);
  EXPECT_TRUE(torch::allclose(gru->encode(noisy), rep, 1e-6, 1e-7));
  // Nor does dropping the padding (L < context_length).
  EXPECT_TRUE(torch::allclose(gru->encode(tokens.slice(1, 0, 5)), rep, 1e-5, 1e-6));
  // A word before <end_of_text> changes that row only.
  auto edited = tokens.clone();
  edited.index_put_({1, 2}, 20);
  auto rep_edited = gru->encode(edited);
  EXPECT_FALSE(torch::allclose(rep_edited[1], rep[1], 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(rep_edited[0], rep[0], 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(rep_edited[2], rep[2], 1e-6, 1e-7));
  // So does the first token.
  auto first = tokens.clone();
  first.index_put_({2, 0}, 1);
  EXPECT_FALSE(torch::allclose(gru->encode(first)[2], rep[2], 1e-4, 1e-5));
}

TEST(GruTextEncoder, SgdLearnsASeparableProblem) {
  // Class 0 captions use words 1..10, class 1 words 11..20; lengths 1..5, padded.
  auto gru = make_gru();
  std::vector<std::vector<int64_t>> r;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < 16; ++i) {
    const int64_t label = i % 2, length = 1 + (i / 2) % 5;
    std::vector<int64_t> words;
    for (int64_t j = 0; j < length; ++j) words.push_back(1 + 10 * label + (3 * i + 7 * j) % 10);
    r.push_back(caption(words, kContext));
    y.push_back(label);
  }
  auto tokens = rows(r);
  auto labels = torch::tensor(y, torch::kLong);
  torch::optim::SGD sgd(gru->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  auto loss_now = [&] {
    return torch::nn::functional::cross_entropy(gru->classify(gru->encode(tokens)), labels);
  };
  const double initial = loss_now().item<double>();
  for (int step = 0; step < 25; ++step) {
    sgd.zero_grad();
    loss_now().backward();
    sgd.step();
  }
  const double final_loss = loss_now().item<double>();
  EXPECT_LT(final_loss, 0.5 * initial) << "initial " << initial;
  EXPECT_EQ(gru->classify(gru->encode(tokens)).argmax(1).eq(labels).sum().item<int64_t>(), 16);
}

TEST(GruTextEncoder, SameSeedSameParameters) {
  auto a = make_gru(7), b = make_gru(7), c = make_gru(8);
  auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
  for (const auto& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  EXPECT_FALSE(torch::equal(pa["token_embedding.weight"], pc["token_embedding.weight"]));
  EXPECT_FALSE(torch::equal(pa["gru.weight_hh_l0"], pc["gru.weight_hh_l0"]));
}

TEST(GruTextEncoder, RejectsBadInput) {
  auto gru = make_gru();
  auto good = rows({caption({1, 2}, kContext)});
  try {
    gru->encode(good[0]);
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("tokens must be (N,L) int64 with N >= 1 and 1 <= L <= 12 "
                                    "(context_length), got [12] Long"));
  }
  EXPECT_THROW(gru->encode(torch::cat({good, good}, 1)), InputError);  // L = 24 > 12
  EXPECT_THROW(gru->encode(good.to(torch::kInt)), InputError);
  EXPECT_THROW(gru->encode(torch::zeros({0, kContext}, torch::kLong)), InputError);
  auto too_big = good.clone();
  too_big.index_put_({0, 1}, kVocab);
  try {
    gru->encode(too_big);
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("token ids must lie in [0, 50) (vocab_size), got ids in [0, 50]"));
  }
  auto negative = good.clone();
  negative.index_put_({0, 5}, -1);
  EXPECT_THROW(gru->encode(negative), InputError);
  EXPECT_THROW(gru->classify(torch::randn({2, kEmbed + 1})), InputError);
  EXPECT_THROW(GruTextEncoder(GruTextEncoderOptions(kVocab, kContext, kEmbed, kClasses).width(0)), InputError);
  EXPECT_THROW(GruTextEncoder(GruTextEncoderOptions(0, kContext, kEmbed, kClasses)), InputError);
}

// Client training runs under bf16 autocast (Context precision "bf16"); gradients reach every
// parameter in fp32.
TEST(GruTextEncoder, RunsUnderBfloat16Autocast) {
  auto gru = make_gru();
  auto tokens = rows({caption({1, 2, 3}, kContext), caption({4}, kContext)});
  auto logits32 = gru->classify(gru->encode(tokens));
  ContextConfig cc;
  cc.precision = "bf16";
  Context ctx(cc);
  torch::Tensor logits16;
  {
    AutocastGuard ac(ctx);
    logits16 = gru->classify(gru->encode(tokens));
    logits16.to(torch::kFloat).sum().backward();
  }
  EXPECT_TRUE(torch::allclose(logits16.to(torch::kFloat), logits32, 0.05, 0.05));
  for (const auto& p : gru->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_EQ(p.value().grad().scalar_type(), torch::kFloat) << p.key();
  }
}

TEST(GruTextEncoder, RunsOnTheInputsDevice) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto gru = make_gru();
  auto tokens = rows({caption({1, 2, 3}, kContext), caption({4}, kContext)});
  auto cpu = gru->classify(gru->encode(tokens));
  gru->to(torch::kCUDA);
  auto gpu = gru->classify(gru->encode(tokens.to(torch::kCUDA)));
  EXPECT_TRUE(gpu.is_cuda());
  EXPECT_TRUE(torch::allclose(gpu.cpu(), cpu, 1e-3, 1e-4));
}

}  // namespace
}  // namespace lethe::models
