#include "lethe/bench/stats.h"

#include <fmt/format.h>

#include <cmath>

namespace lethe::bench {

Spread spread(const std::vector<double>& xs) {
  Spread s;
  const double n = static_cast<double>(xs.size());
  for (double x : xs) s.mean += x / n;
  if (xs.size() >= 2) {
    double ss = 0;
    for (double x : xs) ss += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(ss / (n - 1));
  }
  return s;
}

nlohmann::json stat_json(const std::vector<double>& xs) {
  const auto s = spread(xs);
  return {{"mean", s.mean}, {"std", xs.size() >= 2 ? nlohmann::json(s.sd) : nlohmann::json(nullptr)},
          {"n", xs.size()}};
}

std::string stat_cell(const nlohmann::json& stat, int decimals) {
  if (stat.is_null()) return "";
  std::string s = fmt::format("{:.{}f}", stat.at("mean").get<double>(), decimals);
  if (!stat.at("std").is_null())
    s += fmt::format(" ± {:.{}f}", stat.at("std").get<double>(), decimals);
  return s;
}

}  // namespace lethe::bench
