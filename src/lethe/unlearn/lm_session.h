#pragma once
// `lethe unlearn` on a multimodal-LM run (run.mode = mllm, METHODS.md §5): the request names
// emoji whose *images* are forgotten (entities:FRACTION or concept:WORD); the retrain reference
// is the whole pipeline trained without those images (cached under <run>/unlearn/); every
// method and both references are evaluated on image and text questions about the forgotten
// entities, the retained ones and the held-out vendor; audit.json holds it all.
#include "lethe/experiment/experiment.h"
#include "lethe/unlearn/lm_audit_record.h"
#include "lethe/unlearn/request.h"
#include "lethe/unlearn/session.h"
#include "lethe/unlearn/unlearn_config.h"

namespace lethe::unlearn {

LmAudit run_lm_unlearning(const SessionOptions& opts, const experiment::ExperimentConfig& cfg,
                          const UnlearnConfig& ucfg, const Request& request);

}  // namespace lethe::unlearn
