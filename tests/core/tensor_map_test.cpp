#include "lethe/core/tensor_map.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "lethe/core/error.h"

namespace lethe {
namespace {

using ::testing::HasSubstr;

// A two-level module: named tensors "fc.weight", "fc.bias", "inner.lin.weight", "inner.scale"
// (parameters) and "inner.count" (buffer).
struct InnerImpl : torch::nn::Module {
  InnerImpl() {
    lin = register_module("lin", torch::nn::Linear(torch::nn::LinearOptions(3, 2).bias(false)));
    scale = register_parameter("scale", torch::ones({2}));
    count = register_buffer("count", torch::zeros({1}, torch::kInt64));
  }
  torch::nn::Linear lin{nullptr};
  torch::Tensor scale, count;
};
TORCH_MODULE(Inner);

struct NetImpl : torch::nn::Module {
  NetImpl() {
    fc = register_module("fc", torch::nn::Linear(4, 3));
    inner = register_module("inner", Inner());
  }
  torch::nn::Linear fc{nullptr};
  Inner inner{nullptr};
};
TORCH_MODULE(Net);

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

TEST(TensorMap, StateDictHasDottedNamesAndIsACopy) {
  Net net;
  auto sd = state_dict(*net);
  std::vector<std::string> names;
  for (const auto& [k, v] : sd) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"fc.bias", "fc.weight", "inner.count",
                                             "inner.lin.weight", "inner.scale"}));
  EXPECT_FALSE(sd["fc.weight"].requires_grad());
  sd["fc.weight"].fill_(7);
  EXPECT_FALSE(torch::equal(sd["fc.weight"], net->fc->weight));
}

TEST(TensorMap, TrainableOnlyKeepsParametersWithGrad) {
  Net net;
  net->fc->weight.set_requires_grad(false);
  auto sd = state_dict(*net, /*trainable_only=*/true);
  std::vector<std::string> names;
  for (const auto& [k, v] : sd) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"fc.bias", "inner.lin.weight", "inner.scale"}));
}

TEST(TensorMap, LoadRoundTripAndConvertsHalfPrecision) {
  Net a, b;
  auto sd = state_dict(*a);
  sd["inner.count"].fill_(5);
  sd["fc.weight"] = sd["fc.weight"].to(torch::kBFloat16);
  sd["inner.scale"] = torch::full({2}, 0.5, torch::kFloat16);
  load_state_dict(*b, sd);
  EXPECT_TRUE(torch::equal(b->fc->bias, a->fc->bias));
  EXPECT_TRUE(torch::allclose(b->fc->weight, a->fc->weight, 1e-2, 1e-2));
  EXPECT_EQ(b->fc->weight.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(b->inner->scale, torch::full({2}, 0.5)));
  EXPECT_EQ(b->inner->count.item<int64_t>(), 5);
  EXPECT_TRUE(b->fc->weight.requires_grad());  // still a trainable parameter
}

TEST(TensorMap, StrictErrors) {
  Net net;
  auto sd = state_dict(*net);
  auto missing = sd;
  missing.erase("fc.weight");
  EXPECT_EQ(error_of([&] { load_state_dict(*net, missing); }),
            "missing tensor 'fc.weight' (expected shape [3, 4])");

  auto extra = sd;
  extra["head.bias"] = torch::zeros({2});
  EXPECT_EQ(error_of([&] { load_state_dict(*net, extra); }),
            "unexpected tensor 'head.bias' (shape [2])");

  auto shape = sd;
  shape["inner.lin.weight"] = torch::zeros({3, 2});
  EXPECT_EQ(error_of([&] { load_state_dict(*net, shape); }),
            "tensor 'inner.lin.weight' has shape [3, 2] but the model expects [2, 3]");

  auto dtype = sd;
  dtype["fc.bias"] = torch::zeros({3}, torch::kInt64);
  EXPECT_EQ(error_of([&] { load_state_dict(*net, dtype); }),
            "tensor 'fc.bias' has dtype Long but the model expects Float");

  auto buffer = sd;
  buffer["inner.count"] = torch::zeros({1});
  EXPECT_EQ(error_of([&] { load_state_dict(*net, buffer); }),
            "tensor 'inner.count' has dtype Float but the model expects Long");

  auto undefined = sd;
  undefined["fc.bias"] = torch::Tensor();
  EXPECT_EQ(error_of([&] { load_state_dict(*net, undefined); }), "tensor 'fc.bias' is undefined");
}

TEST(TensorMap, FailedLoadLeavesModuleUnchanged) {
  Net net;
  auto before = state_dict(*net);
  auto sd = zeros_like(before);
  sd["inner.scale"] = torch::zeros({5});  // sorts after fc.*, which would be copied first
  EXPECT_THROW(load_state_dict(*net, sd), InputError);
  EXPECT_TRUE(torch::equal(net->fc->weight, before["fc.weight"]));
}

TEST(TensorMap, NonStrictSkipsMissingAndExtraButNotShapes) {
  Net net;
  TensorMap partial{{"fc.bias", torch::full({3}, 2.0)}, {"other", torch::zeros({1})}};
  load_state_dict(*net, partial, /*strict=*/false);
  EXPECT_TRUE(torch::equal(net->fc->bias, torch::full({3}, 2.0)));
  partial["fc.bias"] = torch::zeros({4});
  EXPECT_EQ(error_of([&] { load_state_dict(*net, partial, false); }),
            "tensor 'fc.bias' has shape [4] but the model expects [3]");
}

TensorMap map2(float x, float y) {
  return {{"a", torch::full({2}, x)}, {"b", torch::full({1, 3}, y)}};
}

TEST(TensorMap, Arithmetic) {
  auto a = map2(1, 2), b = map2(3, -1);
  auto s = add(a, b);
  EXPECT_TRUE(torch::equal(s["a"], torch::full({2}, 4.0)));
  EXPECT_TRUE(torch::equal(s["b"], torch::full({1, 3}, 1.0)));
  auto d = sub(a, b);
  EXPECT_TRUE(torch::equal(d["a"], torch::full({2}, -2.0)));
  auto k = scale(a, 0.5);
  EXPECT_TRUE(torch::equal(k["b"], torch::full({1, 3}, 1.0)));
  EXPECT_TRUE(torch::equal(a["a"], torch::full({2}, 1.0)));  // inputs untouched
  auto y = clone(a);
  add_(y, b, -2.0);
  EXPECT_TRUE(torch::equal(y["a"], torch::full({2}, -5.0)));
  EXPECT_TRUE(torch::equal(a["a"], torch::full({2}, 1.0)));  // clone is deep
  // dot = 2·(1·3) + 3·(2·−1) = 0; norm² = 2·1 + 3·4 = 14.
  EXPECT_DOUBLE_EQ(dot(a, b), 0.0);
  EXPECT_DOUBLE_EQ(norm(a), std::sqrt(14.0));
  EXPECT_EQ(numel(a), 5);
  EXPECT_EQ(nbytes(a), 20);
  auto z = zeros_like(a);
  EXPECT_DOUBLE_EQ(norm(z), 0.0);
  EXPECT_EQ(z["b"].sizes(), a["b"].sizes());
}

TEST(TensorMap, ArithmeticKeepsDtypes) {
  TensorMap a{{"h", torch::full({2}, 1.5, torch::kFloat16)},
              {"n", torch::full({2}, 3, torch::kInt64)}};
  auto k = scale(a, 0.5);
  EXPECT_EQ(k["h"].scalar_type(), torch::kFloat16);
  EXPECT_EQ(k["n"].scalar_type(), torch::kInt64);
  EXPECT_EQ(k["n"][0].item<int64_t>(), 1);  // 1.5 truncated
  auto y = clone(a);
  add_(y, a, 0.5);
  EXPECT_EQ(y["n"][0].item<int64_t>(), 4);  // 3 + 1.5 truncated
  EXPECT_DOUBLE_EQ(y["h"][0].item<double>(), 2.25);
  EXPECT_EQ(add(a, a)["n"].scalar_type(), torch::kInt64);
}

TEST(TensorMap, LayoutMismatchesNameTheTensor) {
  auto a = map2(1, 2);
  auto missing = a;
  missing.erase("b");
  EXPECT_EQ(error_of([&] { add(a, missing); }),
            "add: tensor 'b' is in the first map but not the second");
  EXPECT_EQ(error_of([&] { sub(missing, a); }),
            "sub: tensor 'b' is in the second map but not the first");
  auto shape = a;
  shape["a"] = torch::zeros({3});
  EXPECT_EQ(error_of([&] { dot(a, shape); }), "dot: tensor 'a' has shape [2] vs [3]");
  auto dtype = a;
  dtype["b"] = dtype["b"].to(torch::kFloat64);
  EXPECT_EQ(error_of([&] { add_(a, dtype); }), "add_: tensor 'b' has dtype Float vs Double");
  EXPECT_EQ(error_of([&] { check_same_layout(a, dtype, "aggregate"); }),
            "aggregate: tensor 'b' has dtype Float vs Double");
  EXPECT_NO_THROW(check_same_layout(a, map2(5, 6), "x"));
}

TEST(TensorMap, DescribeNonfiniteNamesTheFirstTensorAndCounts) {
  TensorMap m{{"a", torch::ones({2, 2})}, {"b", torch::zeros({3})}, {"ids", torch::arange(4)}};
  EXPECT_EQ(describe_nonfinite(m), "");
  m.at("b")[0] = std::numeric_limits<float>::infinity();
  m.at("b")[2] = std::nanf("");
  EXPECT_EQ(describe_nonfinite(m), "tensor 'b' has 2 non-finite values (NaN or ±Inf) of 3");
  m.at("a")[1][1] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(describe_nonfinite(m), "tensor 'a' has 1 non-finite value (NaN or ±Inf) of 4");
}

}  // namespace
}  // namespace lethe
