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

// The options of a timing suite that has a PyTorch twin (bench/pytorch_*.py): the precisions it
// times, the threads of both, and how to run the twin.
struct TwinOptions {
  std::string precisions = "auto";  // auto: fp32, and bf16 where the CPU has it natively
  bool pytorch = true;
  int64_t threads = 0;  // 0 = all cores
  std::string python = "/usr/bin/python3";
  std::string pytorch_script;

  explicit TwinOptions(std::string script) : pytorch_script(std::move(script)) {}
  template <class V>
  void visit(V& v) {
    v("precisions", precisions, "auto (fp32, + bf16 where native) | fp32 | bf16 | both")
        .one_of({"auto", "fp32", "bf16", "both"});
    v("pytorch", pytorch, "time the PyTorch twin in the same run");
    v("threads", threads, "intra-op threads of both (0 = all cores)").min(0);
    v("python", python, "Python interpreter with torch (Debian: python3-torch)");
    v("pytorch_script", pytorch_script, "the PyTorch twin, relative to the working directory");
  }
  std::vector<std::string> precision_list() const;
  // Runs the twin with `flags` and parses the one JSON object it prints on stdout; InputError
  // naming `suite` if the script is missing, or it fails or prints no JSON (Debian's
  // python3-torch, which scripts/setup installs; or pass pytorch=false).
  nlohmann::json run(const std::string& flags, const std::string& suite) const;
};

// Seconds per call of fn: median of `reps` timed calls after `warmup` untimed ones.
double time_median(const std::function<void()>& fn, int reps, int warmup = 1);

}  // namespace lethe::bench
