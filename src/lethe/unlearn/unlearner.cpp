#include "lethe/unlearn/unlearner.h"

#include "lethe/core/rng.h"
#include "lethe/core/stopwatch.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/models/openclip.h"
#include "lethe/train/checkpoint.h"
#include "lethe/unlearn/methods.h"

namespace lethe::unlearn {

nlohmann::json Cost::to_json() const {
  return {{"wall_s", wall_s},
          {"local_steps", local_steps},
          {"rounds", rounds},
          {"bytes", bytes},
          {"history_bytes_read", history_bytes_read}};
}

UnlearnOutput honour_request(const UnlearnInputs& in, const std::string& method) {
  auto unlearner = unlearners().get(method).factory();
  const Stopwatch clock;
  auto out = unlearner->run(in);
  out.cost.wall_s = clock.seconds();
  return out;
}

models::Clip initial_model(const UnlearnInputs& in) {
  auto model = train::make_model(in.model_cfg, stream_seed(in.ctx.seed(), 0, -1, Stream::kInit));
  if (in.pretrained) models::load_openclip(*model, *in.pretrained);
  return model;
}

models::Clip model_with(const UnlearnInputs& in, const TensorMap& weights) {
  // The original run's initialisation, so frozen (non-trainable, e.g. LoRA base) weights match.
  auto model = initial_model(in);
  experiment::load_parameters(model, weights);
  return model;
}

namespace {

void add_builtin_unlearners(Registry<UnlearnerFactory>& r) {
  register_federated_methods(r);
  register_ascent_methods(r);
  register_history_methods(r);
  register_multidelete(r);
  register_ease(r);
}

}  // namespace

Registry<UnlearnerFactory>& unlearners() {
  static Registry<UnlearnerFactory> registry("unlearning method", add_builtin_unlearners);
  return registry;
}

}  // namespace lethe::unlearn
