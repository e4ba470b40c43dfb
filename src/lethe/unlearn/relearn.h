#pragma once
// The relearning attack (METHODS.md §6): fine-tune a model for a few steps on a small part of
// D_f and measure how much forget R@1 comes back on the rest of it. A model that only hid the
// knowledge (suppressed outputs, weights still close to the original's) rebounds far above the
// retrain reference under the same attack; one that removed it rebounds like retrain.
#include <optional>

#include "lethe/unlearn/audit.h"
#include "lethe/unlearn/audit_record.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

// Forget R@1 on sets.relearn_gallery before and after the attack; none when the attack is off
// (unlearn.relearn_steps = 0) or D_f is too small to split.
std::optional<RelearnOutcome> relearn_attack(const UnlearnInputs& in, const AuditSets& sets, const TensorMap& weights);

}  // namespace lethe::unlearn
