#pragma once
#include <cstdint>

namespace lethe::train {

// Linear warm-up to `peak` over `warmup_steps`, then cosine to peak·min_ratio at total_steps.
struct LrSchedule {
  double peak = 1e-3;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double min_ratio = 0.0;
  double at(int64_t step) const;
};

}  // namespace lethe::train
