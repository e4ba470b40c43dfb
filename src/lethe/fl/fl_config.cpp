#include "lethe/fl/fl_config.h"

namespace lethe::fl {

void FlConfig::validate() const {
  LETHE_CHECK(clients_per_round <= clients,
              "config key 'fl.clients_per_round' = {} exceeds 'fl.clients' = {}", clients_per_round,
              clients);
  LETHE_CHECK(min_fit_clients <= clients,
              "config key 'fl.min_fit_clients' = {} exceeds 'fl.clients' = {}", min_fit_clients,
              clients);
  LETHE_CHECK(clients_per_round > 0 || fraction_fit > 0,
              "config keys 'fl.fraction_fit' = 0 and 'fl.clients_per_round' = 0 sample no client");
  LETHE_CHECK(screen_median_k == 0.0 || screen_median_k >= 1.0,
              "config key 'fl.screen_median_k' = {} must be 0 (off) or at least 1 (below 1 it "
              "refuses the median update itself)", screen_median_k);
  LETHE_CHECK(failure_rate + straggler_rate <= 1.0,
              "config keys 'fl.failure_rate' = {} and 'fl.straggler_rate' = {} sum to more than 1",
              failure_rate, straggler_rate);
}

}  // namespace lethe::fl
