#pragma once
// Re-anchoring (METHODS.md §6): does an unlearned model stay unlearned while the federation
// keeps training? Further rounds of the original strategy on the retained clients from the
// unlearned weights, under the method's Forget Lock when it has one, with the audit galleries'
// forget / retain / test R@1 after every round. unlearn.post_rounds_data = "original" runs them
// on every client's original data instead, D_f included: holders that did not delete it, the
// case the lock exists for (the server never trusts clients).
#include <string>

#include "lethe/unlearn/audit.h"
#include "lethe/unlearn/audit_record.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

// The curve starts at the unlearned model (forget_r1[0]) and adds one point per round.
ReanchorCurve reanchor(const UnlearnInputs& in, const AuditSets& sets, const TensorMap& weights,
                       const fl::ForgetLock& lock, int64_t rounds, const std::string& tag);

}  // namespace lethe::unlearn
