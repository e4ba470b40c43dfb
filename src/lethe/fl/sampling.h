#pragma once
// Client sampling and simulated faults, as pure functions of (seed, round, client).
//
// The sampling rule: every (seed, round, client) has a priority key drawn from its own RNG
// stream; a round takes the m available clients with the smallest keys (ties by id). A
// client's key does not depend on who else is available, so dropping clients from the
// population never reorders the others. Two replays follow from it:
//   - sample the original population and then drop the forgotten clients (Federation's
//     excluded clients): every retained client trains in exactly the rounds it trained in
//     originally — the retrain reference of METHODS.md §2;
//   - sample from the retained clients only: the same m, filled by the next-smallest keys.
#include <cstdint>
#include <vector>

#include "lethe/core/rng.h"

namespace lethe::fl {

// Clients per round: `count` if > 0, else ⌈fraction · available⌉; then at least min_clients
// and 1, at most `available`.
int64_t sample_size(int64_t available, double fraction, int64_t count, int64_t min_clients);

// The m clients of `available` (distinct ids, any order) with the smallest priority keys, in
// ascending id order.
std::vector<int64_t> sample_clients(uint64_t seed, int64_t round,
                                    const std::vector<int64_t>& available, int64_t m,
                                    Stream stream = Stream::kSampling);

enum class Fault { kNone, kFailure, kStraggler };

// One uniform draw u per (seed, round, client): u < failure_rate fails, then the next
// straggler_rate of the unit interval straggles (failure_rate + straggler_rate ≤ 1).
Fault draw_fault(uint64_t seed, int64_t round, int64_t client, double failure_rate,
                 double straggler_rate);

}  // namespace lethe::fl
