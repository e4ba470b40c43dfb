#include "lethe/models/openclip.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.h"
#include "lethe/models/lora.h"

namespace lethe::models {
namespace {

using ::testing::HasSubstr;
using namespace lethe::models::testing;

TEST(LoadOpenClip, LoadsEveryBaseTensorAndKeepsTheAdapters) {
  auto source = make_tiny(1);
  auto target = make_tiny(2, 2, {"attn", "mlp"});
  const auto adapters_before = state_dict(*target, /*trainable_only=*/true);
  load_openclip(*target, state_dict(*source));
  auto after = state_dict(*target);
  for (const auto& [name, t] : state_dict(*source)) EXPECT_TRUE(torch::equal(t, after.at(name))) << name;
  for (const auto& [name, t] : adapters_before) EXPECT_TRUE(torch::equal(t, after.at(name))) << name;
  auto images = torch::randn({2, 3, 16, 16});
  EXPECT_TRUE(torch::equal(source->encode_image(images), target->encode_image(images)));
}

TEST(LoadOpenClip, ConvertsHalfPrecision) {
  auto source = make_tiny(1);
  TensorMap half;
  for (const auto& [name, t] : state_dict(*source)) half.emplace(name, t.to(torch::kHalf));
  auto target = make_tiny(2);
  load_openclip(*target, half);
  auto p = target->named_parameters()["visual.proj"];
  EXPECT_EQ(p.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::allclose(p, source->named_parameters()["visual.proj"], 1e-3, 1e-3));
}

TEST(LoadOpenClip, StrictErrorsNameTheTensorAndShapes) {
  auto target = make_tiny(2, 2);
  const auto before = state_dict(*target);
  const auto good = state_dict(*make_tiny(1));

  auto missing = good;
  missing.erase("visual.proj");
  EXPECT_THAT(input_error([&] { load_openclip(*target, missing); }),
              HasSubstr("OpenCLIP weights lack tensor 'visual.proj' (model shape [32, 32])"));

  auto extra = good;
  extra["visual.extra"] = torch::zeros({3});
  EXPECT_THAT(input_error([&] { load_openclip(*target, extra); }),
              HasSubstr("OpenCLIP weights have tensor 'visual.extra' (shape [3]) that the model lacks"));
  // Adapter factors are not OpenCLIP tensors.
  auto with_factor = good;
  with_factor["transformer.resblocks.0.attn.in_proj_lora_A"] = torch::zeros({2, 32});
  EXPECT_THAT(input_error([&] { load_openclip(*target, with_factor); }),
              HasSubstr("OpenCLIP weights have LoRA factor "
                        "'transformer.resblocks.0.attn.in_proj_lora_A' (shape [2, 32])"));

  auto misshaped = good;
  misshaped["text_projection"] = torch::zeros({32, 16});
  EXPECT_THAT(input_error([&] { load_openclip(*target, misshaped); }),
              HasSubstr("OpenCLIP tensor 'text_projection' has shape [32, 16] but the model "
                        "expects [32, 32]"));

  auto wrong_dtype = good;
  wrong_dtype["logit_scale"] = torch::zeros({}, torch::kLong);
  EXPECT_THAT(input_error([&] { load_openclip(*target, wrong_dtype); }), HasSubstr("logit_scale"));

  // A failed load changes nothing.
  auto after = state_dict(*target);
  for (const auto& [name, t] : before) EXPECT_TRUE(torch::equal(t, after.at(name))) << name;
}

}  // namespace
}  // namespace lethe::models
