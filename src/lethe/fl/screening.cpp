#include "lethe/fl/screening.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lethe::fl {

ScreenOptions screen_options(const FlConfig& cfg) { return {cfg.screen_max_norm, cfg.screen_median_k}; }

std::string nonfinite_result(const FitRes& res) {
  if (!std::isfinite(res.loss)) return fmt::format("reported loss is {}", res.loss);
  return describe_nonfinite(res.update);
}

std::string screen_result(const FitRes& res, const ScreenOptions& opts, double& norm) {
  if (auto bad = nonfinite_result(res); !bad.empty()) return bad;
  norm = lethe::norm(res.update);
  if (opts.max_norm > 0 && !(norm <= opts.max_norm))
    return fmt::format("update norm {:.4g} exceeds fl.screen_max_norm = {:.4g}", norm, opts.max_norm);
  return "";
}

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double median_bound(std::vector<double> norms, double k) {
  if (k <= 0 || norms.size() < kMinUpdatesForMedian) return std::numeric_limits<double>::infinity();
  return k * median(std::move(norms));
}

}  // namespace lethe::fl
