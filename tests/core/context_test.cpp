#include "lethe/core/context.h"

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

namespace lethe {
namespace {

// Restores LibTorch's global thread count after a test that builds Contexts.
class ContextTest : public ::testing::Test {
 protected:
  ~ContextTest() override { torch::set_num_threads(threads_); }
  int threads_ = torch::get_num_threads();
};

std::string error_of(const ContextConfig& cfg) {
  try {
    Context c(cfg);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST_F(ContextTest, ResolvesDefaults) {
  Context c;
  EXPECT_TRUE(c.device().is_cpu());
  EXPECT_GE(c.threads(), 1);
  EXPECT_EQ(c.seed(), 0u);
  EXPECT_EQ(c.bf16(), cpu_has_native_bf16());  // auto on CPU
  EXPECT_EQ(c.precision_name(), c.bf16() ? "bf16" : "fp32");
}

TEST_F(ContextTest, ExplicitSettings) {
  ContextConfig cfg;
  cfg.threads = 2;
  cfg.seed = 99;
  cfg.precision = "bf16";
  Context c(cfg);
  EXPECT_EQ(c.threads(), 2);
  EXPECT_EQ(torch::get_num_threads(), 2);
  EXPECT_EQ(c.seed(), 99u);
  EXPECT_EQ(c.precision(), Precision::kBf16);
  cfg.precision = "fp32";
  EXPECT_EQ(Context(cfg).precision(), Precision::kFp32);
  auto d = c.with_seed(7);
  EXPECT_EQ(d.seed(), 7u);
  EXPECT_EQ(d.threads(), 2);
  EXPECT_TRUE(d.bf16());
  EXPECT_EQ(c.seed(), 99u);
}

TEST_F(ContextTest, BadDevices) {
  ContextConfig cfg;
  cfg.device = "gpu";
  EXPECT_EQ(error_of(cfg),
            "config key 'run.device' = 'gpu' is not a torch device; valid: cpu, cuda, cuda:N");
  if (torch::cuda::is_available()) GTEST_SKIP() << "CUDA is available here";
  cfg.device = "cuda";
  EXPECT_EQ(error_of(cfg), "config key 'run.device' = 'cuda' but CUDA is not available");
}

TEST_F(ContextTest, ConfigFieldsAreValidated) {
  auto doc = config::Document::from_string("precision = \"fp16\"\n", "ctx.toml");
  ContextConfig cfg;
  try {
    doc.read(cfg);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "config key 'precision' = 'fp16' is not valid; valid: auto, fp32, bf16");
  }
  auto neg = config::Document::from_string("threads = -1\n", "ctx.toml");
  EXPECT_THROW(neg.read(cfg), InputError);
}

TEST_F(ContextTest, AutocastGuardFollowsPrecision) {
  ContextConfig cfg;
  cfg.threads = 1;
  cfg.precision = "fp32";
  auto a = torch::ones({2, 2});
  {
    AutocastGuard g(Context{cfg});
    EXPECT_FALSE(at::autocast::is_cpu_enabled());
  }
  cfg.precision = "bf16";
  {
    AutocastGuard g(Context{cfg});
    EXPECT_TRUE(at::autocast::is_cpu_enabled());
    EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kBFloat16);
    {
      AutocastGuard inner(Context{cfg});  // nesting restores the outer state
    }
    EXPECT_TRUE(at::autocast::is_cpu_enabled());
  }
  EXPECT_FALSE(at::autocast::is_cpu_enabled());
  EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kFloat32);
}

}  // namespace
}  // namespace lethe
