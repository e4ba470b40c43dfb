#include "lethe/models/lora.h"

#include <cmath>

#include "lethe/core/error.h"
#include "lethe/models/shape.h"

namespace lethe::models {

namespace {
constexpr std::string_view kSuffixA = "lora_A";
constexpr std::string_view kSuffixB = "lora_B";

// LayerNorms are named ln_1, ln_2, ln_pre, ln_post, ln_final (a dotted component "ln_*").
bool is_layer_norm_param(const std::string& name) {
  return name.rfind("ln_", 0) == 0 || name.find(".ln_") != std::string::npos;
}
}  // namespace

torch::Tensor lora_linear(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias, const torch::Tensor& lora_a,
                          const torch::Tensor& lora_b, double scale) {
  auto y = torch::linear(x, weight, bias);
  if (!lora_a.defined()) return y;
  return torch::add(y, torch::linear(torch::linear(x, lora_a), lora_b), scale);
}

LoraLinearImpl::LoraLinearImpl(const LoraLinearOptions& o) : options(o) {
  const int64_t in = o.in_features(), out = o.out_features();
  weight = register_parameter("weight", torch::empty({out, in}));
  bias = register_parameter("bias", torch::empty({out}));
  // nn.Linear's default initialisation, so that untouched layers match PyTorch/OpenCLIP.
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  torch::nn::init::uniform_(bias, -bound, bound);
  if (o.rank() > 0) {
    lora_A = register_parameter("lora_A", torch::zeros({o.rank(), in}));
    lora_B = register_parameter("lora_B", torch::zeros({out, o.rank()}));
  }
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  const double s = options.rank() > 0 ? options.alpha() / static_cast<double>(options.rank()) : 0.0;
  return lora_linear(x, weight, bias, lora_A, lora_B, s);
}

bool is_lora_param(const std::string& name) {
  return name.ends_with(kSuffixA) || name.ends_with(kSuffixB);
}

void init_lora_factors(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.named_parameters(/*recurse=*/true)) {
    if (p.key().ends_with(kSuffixA)) torch::nn::init::kaiming_uniform_(p.value(), std::sqrt(5.0));
    else if (p.key().ends_with(kSuffixB)) p.value().zero_();
  }
}

int64_t set_trainable_for_lora(torch::nn::Module& m, bool train_ln_and_proj) {
  int64_t trainable = 0;
  for (auto& p : m.named_parameters(/*recurse=*/true)) {
    const std::string& n = p.key();
    const bool train = is_lora_param(n) ||
                       (train_ln_and_proj && (is_layer_norm_param(n) || n == "visual.proj" ||
                                              n == "text_projection" || n == "logit_scale"));
    p.value().set_requires_grad(train);
    if (train) trainable += p.value().numel();
  }
  return trainable;
}

TensorMap merge_lora(const TensorMap& weights, double alpha) {
  static_assert(kSuffixA.size() == kSuffixB.size());
  // "x.lora_A" adapts "x.weight"; "attn.in_proj_lora_A" adapts "attn.in_proj_weight".
  auto prefix_of = [](const std::string& name) { return name.substr(0, name.size() - kSuffixA.size()); };
  TensorMap out;
  for (const auto& [name, t] : weights) {
    if (!is_lora_param(name)) {
      out.emplace(name, t.clone());
      continue;
    }
    const std::string partner =
        prefix_of(name) + std::string(name.ends_with(kSuffixA) ? kSuffixB : kSuffixA);
    LETHE_CHECK(weights.count(partner), "LoRA factor '{}' has no partner '{}'", name, partner);
  }
  for (const auto& [name, a] : weights) {
    if (!name.ends_with(kSuffixA)) continue;
    const std::string b_name = prefix_of(name) + std::string(kSuffixB);
    const std::string w_name = prefix_of(name) + "weight";
    auto w = out.find(w_name);
    LETHE_CHECK(w != out.end(), "LoRA factor '{}' adapts '{}', which is missing", name, w_name);
    const auto& b = weights.at(b_name);
    auto& wt = w->second;
    LETHE_CHECK(a.dim() == 2 && b.dim() == 2 && wt.dim() == 2 && b.size(1) == a.size(0) &&
                    wt.size(0) == b.size(0) && wt.size(1) == a.size(1),
                "LoRA factors '{}' {} and '{}' {} do not fit '{}' {}", name, shape_str(a), b_name,
                shape_str(b), w_name, shape_str(wt));
    const double s = alpha / static_cast<double>(a.size(0));
    // Accumulate in at least fp32 so that f16/bf16 checkpoints do not lose the small update.
    const auto acc = torch::promote_types(wt.scalar_type(), torch::kFloat);
    wt = (wt.to(acc) + s * torch::matmul(b.to(acc), a.to(acc))).to(wt.scalar_type());
  }
  return out;
}

}  // namespace lethe::models
