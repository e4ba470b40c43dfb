#include "lethe/bench/machine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "lethe/core/error.h"
#include "lethe/version.h"

namespace lethe::bench {

namespace {
std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}
}  // namespace

nlohmann::json machine_info(const Context& ctx) {
  return {{"cpu", cpu_model()},
          {"cores", std::thread::hardware_concurrency()},
          {"threads", ctx.threads()},
          {"device", ctx.device().str()},
          {"native_bf16", cpu_has_native_bf16()},
#ifdef NDEBUG
          {"build_type", "Release"},
#else
          {"build_type", "Debug"},
#endif
          {"libtorch", TORCH_VERSION},
          {"lethe", kVersion}};
}

namespace {
double status_mib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  return 0.0;
}
}  // namespace

double rss_mib() { return status_mib("VmRSS"); }
double peak_rss_mib() { return status_mib("VmHWM"); }
void reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
}

std::vector<std::string> TwinOptions::precision_list() const {
  if (precisions == "fp32" || (precisions == "auto" && !cpu_has_native_bf16())) return {"fp32"};
  if (precisions == "bf16") return {"bf16"};
  return {"fp32", "bf16"};
}

nlohmann::json TwinOptions::run(const std::string& flags, const std::string& suite) const {
  LETHE_CHECK(std::filesystem::exists(pytorch_script),
              "bench {}: '{}' not found (run from the repository root, or pytorch=false)", suite,
              pytorch_script);
  const std::string cmd = fmt::format("{} {} {}", python, pytorch_script, flags);
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  LETHE_CHECK(pipe != nullptr, "bench {}: cannot run '{}'", suite, cmd);
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) out += buf;
  const int status = pclose(pipe);
  LETHE_CHECK(status == 0,
              "bench {}: '{}' failed (status {}); install Debian's python3-torch (make setup) "
              "or pass pytorch=false",
              suite, cmd, status);
  auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  LETHE_CHECK(j.is_object(), "bench {}: '{}' printed no JSON object", suite, cmd);
  return j;
}

double time_median(const std::function<void()>& fn, int reps, int warmup) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto s = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double matmul_peak_gflops(torch::ScalarType dtype, int64_t n, int reps) {
  torch::NoGradGuard ng;
  auto a = torch::randn({n, n}).to(dtype), b = torch::randn({n, n}).to(dtype);
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    double s = time_median([&] { auto c = a.mm(b); }, 3, r == 0 ? 2 : 0);
    best = std::max(best, 2.0 * n * n * n / s / 1e9);
  }
  return best;
}

}  // namespace lethe::bench
