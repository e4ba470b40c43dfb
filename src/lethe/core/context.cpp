#include "lethe/core/context.h"

#include <ATen/autocast_mode.h>

#include <malloc.h>

#include <fstream>
#include <limits>
#include <mutex>
#include <thread>

namespace lethe {

bool cpu_has_native_bf16() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0)
      return line.find(" avx512_bf16") != std::string::npos ||
             line.find(" amx_bf16") != std::string::npos;
  }
  return false;
}

namespace {
// torch::Device throws c10::Error on a bad string; a config typo is the user's input error.
torch::Device parse_device(const std::string& name) {
  try {
    return torch::Device(name);
  } catch (const c10::Error&) {
    throw InputError(fmt::format(
        "config key 'run.device' = '{}' is not a torch device; valid: cpu, cuda, cuda:N", name));
  }
}

// glibc returns large freed blocks to the kernel (blocks past the mmap threshold are unmapped,
// the heap top is trimmed), so a training step that frees and re-allocates the same tens of MB
// of activations every step takes page faults on all of them again. Keeping freed memory in the
// process measured 16 % off a small-CLIP training step here (docs/performance.md); resident
// memory then stays at its high-water mark, which a training process reaches anyway.
void keep_freed_memory() {
#ifdef __GLIBC__
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc accepts
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
    mallopt(M_TOP_PAD, 512 << 20);
  });
#endif
}
}  // namespace

Context::Context(const ContextConfig& cfg) {
  keep_freed_memory();
  device_ = parse_device(cfg.device);
  LETHE_CHECK(!device_.is_cuda() || torch::cuda::is_available(),
              "config key 'run.device' = '{}' but CUDA is not available", cfg.device);
  int hw = static_cast<int>(std::thread::hardware_concurrency());
  threads_ = cfg.threads > 0 ? cfg.threads : std::max(1, hw);
  torch::set_num_threads(threads_);
  seed_ = cfg.seed;
  if (cfg.precision == "bf16") {
    precision_ = Precision::kBf16;
  } else if (cfg.precision == "fp32") {
    precision_ = Precision::kFp32;
  } else {
    precision_ = (device_.is_cuda() || cpu_has_native_bf16()) ? Precision::kBf16 : Precision::kFp32;
  }
}

Context Context::with_seed(uint64_t seed) const {
  Context c = *this;
  c.seed_ = seed;
  return c;
}

AutocastGuard::AutocastGuard(const Context& ctx) {
  if (!ctx.bf16() || !ctx.device().is_cpu()) return;
  enabled_ = true;
  prev_ = at::autocast::is_cpu_enabled();
  at::autocast::set_cpu_enabled(true);
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
}

AutocastGuard::~AutocastGuard() {
  if (!enabled_) return;
  at::autocast::set_cpu_enabled(prev_);
  if (!prev_) at::autocast::clear_cache();
}

}  // namespace lethe
