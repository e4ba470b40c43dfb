#include "lethe/models/vit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "lethe/core/error.h"

namespace lethe::models {
namespace {

using ::testing::HasSubstr;

VisionTransformer make_vit() {
  torch::manual_seed(0);
  return VisionTransformer(VisionTransformerOptions(16, 4, 24, TransformerOptions(32, 2, 4)));
}

TEST(VisionTransformer, NamesAndShapes) {
  auto vit = make_vit();
  auto p = vit->named_parameters();
  EXPECT_EQ(p["conv1.weight"].sizes(), (std::vector<int64_t>{32, 3, 4, 4}));
  EXPECT_FALSE(p.contains("conv1.bias"));
  EXPECT_EQ(p["class_embedding"].sizes(), (std::vector<int64_t>{32}));
  EXPECT_EQ(p["positional_embedding"].sizes(), (std::vector<int64_t>{17, 32}));
  EXPECT_EQ(p["proj"].sizes(), (std::vector<int64_t>{32, 24}));
  for (const char* n : {"ln_pre.weight", "ln_pre.bias", "ln_post.weight", "ln_post.bias",
                        "transformer.resblocks.1.mlp.c_proj.bias"})
    EXPECT_TRUE(p.contains(n)) << n;
  // OpenCLIP's scale: class/positional embeddings and projection ~ N(0, w^-1).
  EXPECT_NEAR(p["positional_embedding"].std().item<double>(), std::pow(32.0, -0.5), 0.03);
}

TEST(VisionTransformer, OutputShapeAndBatchIndependence) {
  auto vit = make_vit();
  auto images = torch::randn({3, 3, 16, 16});
  auto out = vit->forward(images);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{3, 24}));
  for (int64_t i = 0; i < 3; ++i)
    EXPECT_TRUE(torch::allclose(out[i], vit->forward(images.slice(0, i, i + 1))[0], 1e-5, 1e-6));
  // Every pixel matters (the patch grid covers the image).
  auto moved = images.clone();
  moved.index_put_({0, 0, 15, 15}, 5.0);
  EXPECT_FALSE(torch::allclose(vit->forward(moved)[0], out[0], 1e-5, 1e-6));
}

TEST(VisionTransformer, RejectsImagesOfTheWrongSize) {
  auto vit = make_vit();
  try {
    vit->forward(torch::randn({2, 3, 32, 32}));
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("images must be (N,3,16,16) for this model, got [2, 3, 32, 32]"));
  }
}

}  // namespace
}  // namespace lethe::models
