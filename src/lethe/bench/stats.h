#pragma once
// Mean ± sample standard deviation over seeds: how every benchmark reports a quality figure.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace lethe::bench {

struct Spread {
  double mean = 0, sd = 0;  // sd: sample standard deviation (n − 1); 0 for fewer than 2 values
};
Spread spread(const std::vector<double>& xs);

// {"mean", "std", "n"}; "std" is null for fewer than two values (one seed has no spread).
nlohmann::json stat_json(const std::vector<double>& xs);

// "mean ± std" of a stat_json (just "mean" without a spread; "" for null).
std::string stat_cell(const nlohmann::json& stat, int decimals);

}  // namespace lethe::bench
