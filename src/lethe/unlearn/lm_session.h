#pragma once
// `lethe unlearn` on a multimodal-LM run (run.mode = mllm, METHODS.md §5): the request names
// emoji whose *images* are forgotten (entities:FRACTION or concept:WORD); the retrain reference
// is the whole pipeline trained without those images (cached under <run>/unlearn/); every
// method and both references are evaluated on image and text questions about the forgotten
// entities, the retained ones and the held-out vendor; audit.json holds it all.
#include <nlohmann/json.hpp>

#include "lethe/experiment/experiment.h"
#include "lethe/unlearn/request.h"
#include "lethe/unlearn/session.h"
#include "lethe/unlearn/unlearn_config.h"

namespace lethe::unlearn {

nlohmann::json run_lm_unlearning(const SessionOptions& opts, const experiment::ExperimentConfig& cfg,
                                 const UnlearnConfig& ucfg, const Request& request);

// The gaps the acceptance reads, per measure (exact, choice): forget_vqa (to the retrain
// reference), forget_qa and retain_vqa (to the model before unlearning), and their sum.
nlohmann::json lm_gaps(const nlohmann::json& block, const nlohmann::json& reference,
                       const nlohmann::json& original);

}  // namespace lethe::unlearn
