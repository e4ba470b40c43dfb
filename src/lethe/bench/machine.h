#pragma once
// What every benchmark prints and stores next to its figures: the machine, the build and the
// measured matmul peak it is compared against.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "lethe/core/context.h"

namespace lethe::bench {

// CPU model, cores, threads, precision, build type, LibTorch and Lethe versions.
nlohmann::json machine_info(const Context& ctx);

// Best-of-`reps` GFLOP/s of an n×n×n matmul in `dtype` on the context's threads.
double matmul_peak_gflops(torch::ScalarType dtype, int64_t n = 1024, int reps = 5);

// Resident memory of this process from /proc/self/status: now (VmRSS) and its high-water mark
// (VmHWM), in MiB. reset_peak_rss() restarts the high-water mark at the current RSS (Linux's
// clear_refs), so that one phase's peak can be measured inside a longer process.
double rss_mib();
double peak_rss_mib();
void reset_peak_rss();

// Runs a benchmark's PyTorch twin (`cmd`, a shell command line) and parses the one JSON object
// it prints on stdout; InputError naming `suite` and the command if it fails or prints no JSON
// (Debian's python3-torch, which scripts/setup installs; or pass pytorch=false).
nlohmann::json run_pytorch_twin(const std::string& cmd, const std::string& suite);

// Seconds per call of fn: median of `reps` timed calls after `warmup` untimed ones.
double time_median(const std::function<void()>& fn, int reps, int warmup = 1);

}  // namespace lethe::bench
