#include "lethe/fl/sampling.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "lethe/core/error.h"

namespace lethe::fl {

int64_t sample_size(int64_t available, double fraction, int64_t count, int64_t min_clients) {
  if (available <= 0) return 0;
  // The epsilon keeps products like 0.3 · 10 = 3.0000000000000004 from rounding up to 4.
  int64_t m = count > 0 ? count
                        : static_cast<int64_t>(std::ceil(fraction * double(available) - 1e-9));
  m = std::max({m, min_clients, int64_t{1}});
  return std::min(m, available);
}

std::vector<int64_t> sample_clients(uint64_t seed, int64_t round,
                                    const std::vector<int64_t>& available, int64_t m,
                                    Stream stream) {
  LETHE_ASSERT(m >= 0 && m <= static_cast<int64_t>(available.size()));
  std::vector<std::pair<uint64_t, int64_t>> keyed;
  keyed.reserve(available.size());
  for (int64_t c : available) keyed.emplace_back(make_engine(seed, round, c, stream)(), c);
  std::partial_sort(keyed.begin(), keyed.begin() + m, keyed.end());
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) out.push_back(keyed[i].second);
  std::sort(out.begin(), out.end());
  LETHE_ASSERT(std::adjacent_find(out.begin(), out.end()) == out.end());
  return out;
}

Fault draw_fault(uint64_t seed, int64_t round, int64_t client, double failure_rate,
                 double straggler_rate) {
  auto engine = make_engine(seed, round, client, Stream::kFaults);
  const double u = uniform01(engine);
  if (u < failure_rate) return Fault::kFailure;
  if (u < failure_rate + straggler_rate) return Fault::kStraggler;
  return Fault::kNone;
}

}  // namespace lethe::fl
