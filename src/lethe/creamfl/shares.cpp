#include "lethe/creamfl/shares.h"

#include <cmath>
#include <map>

#include "lethe/core/error.h"
#include "lethe/train/loop.h"
#include "lethe/train/optimizer_state.h"

namespace lethe::creamfl {

namespace {

// β·mean_b w_b·‖s_b − z_b‖² for one modality of one client (zero if it sent none).
torch::Tensor part_term(const torch::Tensor& s, const torch::Tensor& z, const torch::Tensor& w,
                        const torch::Tensor& idx) {
  const auto dev = s.device();
  const auto zb = z.index_select(0, idx).to(dev), wb = w.index_select(0, idx).to(dev);
  return (wb * (s - zb).pow(2).sum(1)).mean();
}

}  // namespace

ShareTracker::ShareTracker(models::Clip& server, torch::optim::AdamW& opt) : opt_(opt) {
  std::map<const void*, std::string> name_of;
  for (const auto& p : server->named_parameters()) name_of[p.value().unsafeGetTensorImpl()] = p.key();
  for (auto& g : opt_.param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(g.options());
    LETHE_CHECK(!o.amsgrad(), "creamfl: client shares assume AdamW without amsgrad");
    for (auto& p : g.params()) {
      auto it = name_of.find(p.unsafeGetTensorImpl());
      LETHE_ASSERT(it != name_of.end());
      params_.push_back(p);
      names_.push_back(it->second);
      options_.push_back(&o);
    }
  }
}

void ShareTracker::begin_round(std::vector<TargetPart> parts) {
  parts_ = std::move(parts);
  moment_.assign(parts_.size(), {});
  share_.assign(parts_.size(), {});
  for (size_t k = 0; k < parts_.size(); ++k)
    for (const auto& p : params_) {
      moment_[k].push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
      share_[k].push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
    }
}

double ShareTracker::descend(const torch::Tensor& loss, const torch::Tensor& image,
                             const torch::Tensor& text, const torch::Tensor& idx, double beta,
                             double clip_grad, const std::string& who) {
  LETHE_ASSERT(active());
  // Each client's gradient first (the graph is kept), then the whole loss's.
  std::vector<std::vector<torch::Tensor>> grads(parts_.size());
  for (size_t k = 0; k < parts_.size(); ++k) {
    const auto& part = parts_[k];
    torch::Tensor term = torch::zeros({}, loss.options());
    if (image.defined() && part.reps.image.defined())
      term = term + part_term(image, part.reps.image, part.weights.image, idx);
    if (text.defined() && part.reps.text.defined())
      term = term + part_term(text, part.reps.text, part.weights.text, idx);
    if (!term.requires_grad()) continue;  // this batch has nothing of the client's
    grads[k] = torch::autograd::grad({beta * term}, params_, {}, /*retain_graph=*/true,
                                     /*create_graph=*/false, /*allow_unused=*/true);
  }
  double scale = 1.0;  // the step's gradient-clipping factor
  const double l = train::descend(opt_, loss, clip_grad, who, &scale);

  // Book the step: AdamW's update is −lr/(1 − β₁ᵗ) · m / (√(v/(1 − β₂ᵗ)) + ε), linear in m.
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto it = opt_.state().find(train::optimizer_state_key(params_[i]));
    if (it == opt_.state().end()) continue;  // no gradient reached it yet
    const auto& st = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    const auto& o = *options_[i];
    const auto [b1, b2] = o.betas();
    const double t = static_cast<double>(st.step());
    const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
    const auto denom = (st.exp_avg_sq().sqrt() / std::sqrt(bc2)).add_(o.eps());
    for (size_t k = 0; k < parts_.size(); ++k) {
      auto& m = moment_[k][i];
      m.mul_(b1);
      if (!grads[k].empty() && grads[k][i].defined()) m.add_(grads[k][i], (1 - b1) * scale);
      share_[k][i].addcdiv_(m, denom, -o.lr() / bc1);
    }
  }
  return l;
}

std::vector<int64_t> ShareTracker::clients() const {
  std::vector<int64_t> out;
  for (const auto& p : parts_) out.push_back(p.client);
  return out;
}

TensorMap ShareTracker::share(int64_t client) const {
  for (size_t k = 0; k < parts_.size(); ++k) {
    if (parts_[k].client != client) continue;
    TensorMap out;
    for (size_t i = 0; i < params_.size(); ++i) out[names_[i]] = share_[k][i].clone();
    return out;
  }
  throw InputError(fmt::format("creamfl: client {} has no share in this round", client));
}

}  // namespace lethe::creamfl
