#pragma once
// Re-anchoring (METHODS.md §6): does an unlearned model stay unlearned while the federation
// keeps training? Further rounds of the original strategy on the retained clients from the
// unlearned weights, under the method's Forget Lock when it has one, with the audit galleries'
// forget / retain / test R@1 after every round. unlearn.post_rounds_data = "original" runs them
// on every client's original data instead, D_f included: holders that did not delete it, the
// case the lock exists for (the server never trusts clients).
#include <nlohmann/json.hpp>

#include <string>

#include "lethe/unlearn/audit.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

// {"locked", "lock_directions", "rounds", "forget_r1": [after 0, 1, …, rounds], "retain_r1",
//  "test_r1", "max_forget_drift": max_t |forget_r1[t] − forget_r1[0]|, "data": retained | original}
nlohmann::json reanchor(const UnlearnInputs& in, const AuditSets& sets, const TensorMap& weights,
                        const fl::ForgetLock& lock, int64_t rounds, const std::string& tag);

// The report's "reanchoring" block from an audit's methods: {"rounds": [0, …, R], "curves":
// {"NAME (lock)" | "NAME": forget_r1, "NAME (no lock)": forget_r1 of post_rounds_unlocked}};
// null when no method was re-anchored.
nlohmann::json reanchoring_curves(const nlohmann::json& methods);

}  // namespace lethe::unlearn
