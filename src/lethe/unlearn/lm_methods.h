#pragma once
// Unlearning methods of the multimodal LM (METHODS.md §5): mmunlearner and the LM forms of ga,
// graddiff, klmin and npo. Their inputs are questions and an LM, not pairs and a federation, so
// they live in a registry of their own under the same names as the CLIP methods; `lethe methods`
// lists both, and `lethe unlearn` picks the registry from the run's mode.
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <vector>

#include "lethe/core/registry.h"
#include "lethe/mllm/train.h"
#include "lethe/unlearn/unlearn_config.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

struct LmUnlearnInputs {
  const data::Dataset& ds;
  const mllm::MllmConfig& cfg;
  const models::ClipConfig& clip;  // the run's CLIP (the LM's vision tower shape)
  const Context& ctx;
  const mllm::LmModel& original;   // θ₀, left unchanged
  const mllm::LmModel* reference;  // the LM trained without D_f's images (npo's reference)
  const std::vector<mllm::QaItem>& forget;      // D_f: image questions on the forgotten entities
  const std::vector<mllm::QaItem>& retain_vqa;  // D_r: image questions on the other entities
  const std::vector<mllm::QaItem>& text;        // D_txt: text questions on every entity
  const UnlearnConfig& ucfg;
};

struct LmUnlearnOutput {
  TensorMap weights;
  Cost cost;
  nlohmann::json details = nlohmann::json::object();
};

class LmUnlearner {
 public:
  virtual ~LmUnlearner() = default;
  virtual LmUnlearnOutput run(const LmUnlearnInputs& in) = 0;
};

using LmUnlearnerFactory = std::function<std::unique_ptr<LmUnlearner>()>;
Registry<LmUnlearnerFactory>& lm_unlearners();  // ga, graddiff, klmin, npo, mmunlearner

// MMUnlearner's saliency mask of every parameter: 1 where (F_f + ε)/(F_r + ε) ≥ γ, with F_r
// over D_r for the vision tower and projector and over D_r ∪ D_txt for the language model
// (F = mean squared answer-NLL gradient over batches at θ₀).
TensorMap saliency_masks(const LmUnlearnInputs& in);

}  // namespace lethe::unlearn
