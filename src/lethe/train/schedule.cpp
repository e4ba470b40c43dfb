#include "lethe/train/schedule.h"

#include <algorithm>
#include <cmath>

namespace lethe::train {

double LrSchedule::at(int64_t step) const {
  if (warmup_steps > 0 && step < warmup_steps) return peak * double(step + 1) / double(warmup_steps);
  const int64_t decay = std::max<int64_t>(1, total_steps - warmup_steps);
  const double t = std::clamp(double(step - warmup_steps) / double(decay), 0.0, 1.0);
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * t));
  return peak * (min_ratio + (1.0 - min_ratio) * cosine);
}

}  // namespace lethe::train
