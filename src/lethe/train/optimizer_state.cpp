#include "lethe/train/optimizer_state.h"

#include "lethe/core/error.h"
#include "lethe/core/shape.h"

namespace lethe::train {
namespace {

const torch::Tensor& find(const TensorMap& state, const std::string& name, const torch::Tensor& like,
                          const std::string& source) {
  auto it = state.find(name);
  LETHE_CHECK(it != state.end(), "optimiser state '{}' has no tensor '{}'", source, name);
  LETHE_CHECK(it->second.sizes() == like.sizes() && it->second.scalar_type() == like.scalar_type(),
              "optimiser state '{}': '{}' is {} {}, the parameter {} {}", source, name,
              c10::toString(it->second.scalar_type()), shape_str(it->second),
              c10::toString(like.scalar_type()), shape_str(like));
  return it->second;
}

}  // namespace

// LibTorch keys optimiser state by the parameter's TensorImpl address (optimizer.h, serialize.h).
std::string optimizer_state_key(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

TensorMap export_adamw_state(torch::nn::Module& module, torch::optim::AdamW& opt) {
  TensorMap out;
  auto& states = opt.state();
  for (const auto& p : module.named_parameters()) {
    if (!p.value().requires_grad()) continue;
    auto it = states.find(optimizer_state_key(p.value()));
    if (it == states.end()) continue;
    auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
    out["exp_avg." + p.key()] = s.exp_avg().detach().clone();
    out["exp_avg_sq." + p.key()] = s.exp_avg_sq().detach().clone();
    out["step." + p.key()] = torch::tensor(s.step(), torch::kLong);
  }
  return out;
}

void import_adamw_state(torch::nn::Module& module, torch::optim::AdamW& opt, const TensorMap& state,
                        const std::string& source) {
  LETHE_CHECK(!opt.param_groups().empty() &&
                  !static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[0].options()).amsgrad(),
              "optimiser state '{}': AMSGrad state is not supported", source);
  for (const auto& p : module.named_parameters()) {
    if (!p.value().requires_grad()) continue;
    const auto& w = p.value();
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->exp_avg(find(state, "exp_avg." + p.key(), w, source).clone());
    s->exp_avg_sq(find(state, "exp_avg_sq." + p.key(), w, source).clone());
    auto it = state.find("step." + p.key());
    LETHE_CHECK(it != state.end() && it->second.numel() == 1 &&
                    it->second.scalar_type() == torch::kLong && it->second.item<int64_t>() >= 0,
                "optimiser state '{}' has no valid 'step.{}'", source, p.key());
    s->step(it->second.item<int64_t>());
    opt.state()[optimizer_state_key(w)] = std::move(s);
  }
}

namespace {
constexpr std::string_view kModel = "model/", kAdamW = "adamw/";

// The entries of `all` under `prefix`, prefix stripped.
TensorMap under(const TensorMap& all, std::string_view prefix) {
  TensorMap out;
  for (auto it = all.lower_bound(std::string(prefix)); it != all.end() && it->first.rfind(prefix, 0) == 0; ++it)
    out.emplace(it->first.substr(prefix.size()), it->second);
  return out;
}
}  // namespace

TensorMap export_training_state(torch::nn::Module& module, torch::optim::AdamW& opt) {
  TensorMap out;
  for (auto& [name, t] : state_dict(module)) out.emplace(std::string(kModel) + name, std::move(t));
  for (auto& [name, t] : export_adamw_state(module, opt)) out.emplace(std::string(kAdamW) + name, std::move(t));
  return out;
}

void import_training_state(torch::nn::Module& module, torch::optim::AdamW& opt,
                           const TensorMap& state, const std::string& source) {
  try {
    load_state_dict(module, under(state, kModel));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", source, e.what()));
  }
  const auto adamw = under(state, kAdamW);
  if (!adamw.empty()) import_adamw_state(module, opt, adamw, source);
}

}  // namespace lethe::train
