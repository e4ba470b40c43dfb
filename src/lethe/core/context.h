#pragma once
// The explicit execution context passed to every component: device, threads, seed and the
// precision policy. No globals: whoever runs something holds a Context and passes it in.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "lethe/core/config.h"

namespace lethe {

enum class Precision { kFp32, kBf16 };

struct ContextConfig {
  std::string device = "cpu";     // "cpu" or "cuda[:N]"
  int threads = 0;                // 0 = all cores
  uint64_t seed = 0;
  std::string precision = "auto";  // auto: bf16 where the CPU supports it natively, else fp32

  template <class V>
  void visit(V& v) {
    v("device", device, "torch device: cpu, cuda, cuda:N");
    v("threads", threads, "intra-op threads (0 = all cores)").min(0);
    v("seed", seed, "master seed; every RNG stream derives from it");
    v("precision", precision, "auto | fp32 | bf16 (autocast for matmuls)")
        .one_of({"auto", "fp32", "bf16"});
  }
};

class Context {
 public:
  // Resolves "auto" choices and applies the thread count to LibTorch.
  explicit Context(const ContextConfig& cfg);
  Context() : Context(ContextConfig{}) {}

  const torch::Device& device() const { return device_; }
  int threads() const { return threads_; }
  uint64_t seed() const { return seed_; }
  Precision precision() const { return precision_; }
  bool bf16() const { return precision_ == Precision::kBf16; }
  std::string precision_name() const { return bf16() ? "bf16" : "fp32"; }

  // A copy with another seed (benchmarks run several seeds from one context).
  Context with_seed(uint64_t seed) const;

 private:
  torch::Device device_{torch::kCPU};
  int threads_ = 1;
  uint64_t seed_ = 0;
  Precision precision_ = Precision::kFp32;
};

// True when this CPU executes bf16 matmuls natively (AVX512-BF16 or AMX).
bool cpu_has_native_bf16();

// RAII: enables bf16 autocast on CPU for the scope when the context asks for it.
class AutocastGuard {
 public:
  explicit AutocastGuard(const Context& ctx);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_ = false;
  bool prev_ = false;
};

}  // namespace lethe
