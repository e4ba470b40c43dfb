#pragma once
// What the server checks in every client update before it counts (docs/reliability.md), in
// order: its values (always: a NaN or ±Inf entry, or a non-finite loss, refuses it), its norm
// against an absolute bound (fl.screen_max_norm), and its norm against k × the median norm of
// the round's updates that passed the first two checks (fl.screen_median_k). A refused update
// never reaches the history or the aggregate; the engine logs it with the client id and counts
// it in the round ("fl_refused" events, RoundSummary::refused).
//
// Subtler poisoning (updates of ordinary size pointing the wrong way) is the robust
// aggregators' job: fl.strategy = "trimmed_mean" or "median" (strategies/aggregate.h).
#include <cstdint>
#include <string>
#include <vector>

#include "lethe/fl/client.h"
#include "lethe/fl/fl_config.h"

namespace lethe::fl {

struct ScreenOptions {
  double max_norm = 0.0;  // 0 = no absolute bound
  double median_k = 0.0;  // 0 = no relative bound
};
ScreenOptions screen_options(const FlConfig& cfg);

// Fewest updates with examples in a round for the relative bound to apply: of two, a hostile
// update makes half of the median it is compared with.
constexpr size_t kMinUpdatesForMedian = 3;

// "" when the result's update entries and loss are all finite; else what is not, naming the
// tensor. The check a deployed server makes on every upload and a client on its own result.
std::string nonfinite_result(const FitRes& res);

// One result's own checks (values, then the absolute bound): "" when it passes, else the
// reason. `norm` receives ‖Δ‖ (float64 over every entry) once the values are finite.
std::string screen_result(const FitRes& res, const ScreenOptions& opts, double& norm);

// The middle value (the mean of the middle two for an even count); 0 for none.
double median(std::vector<double> values);

// The relative bound of a round: k × median(norms), or +∞ when k = 0 or there are fewer than
// kMinUpdatesForMedian norms.
double median_bound(std::vector<double> norms, double k);

}  // namespace lethe::fl
