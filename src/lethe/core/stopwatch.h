#pragma once
// Wall-clock seconds since construction, on the monotonic clock: what every cost figure
// (round time, method wall time, benchmark totals) is measured with.
#include <chrono>

namespace lethe {

class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace lethe
