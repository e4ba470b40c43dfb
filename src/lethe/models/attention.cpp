#include "lethe/models/attention.h"

#include <cmath>

#include "lethe/core/error.h"

namespace lethe::models {

SelfAttentionImpl::SelfAttentionImpl(const AttentionOptions& o) : options(o) {
  const int64_t w = o.width();
  LETHE_ASSERT(w > 0 && o.heads() > 0 && w % o.heads() == 0);
  const bool adapt = o.lora().adapts_attn();
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * w, w}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * w}));
  if (adapt) {
    in_proj_lora_A = register_parameter("in_proj_lora_A", torch::zeros({o.lora().rank, w}));
    in_proj_lora_B = register_parameter("in_proj_lora_B", torch::zeros({3 * w, o.lora().rank}));
  }
  out_proj = register_module(
      "out_proj", LoraLinear(LoraLinearOptions(w, w).rank(adapt ? o.lora().rank : 0).alpha(o.lora().alpha)));
  // nn.MultiheadAttention._reset_parameters: xavier-uniform packed projection, zero biases.
  torch::nn::init::xavier_uniform_(in_proj_weight);
  torch::NoGradGuard no_grad;
  out_proj->bias.zero_();
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const int64_t n = x.size(0), l = x.size(1), w = options.width(), h = options.heads(), d = w / h;
  LETHE_ASSERT(x.dim() == 3 && x.size(2) == w);
  const double s = in_proj_lora_A.defined() ? options.lora().scale() : 0.0;
  // (N,L,3w) → (3,N,h,L,d) in one copy; q, k, v are then contiguous (N·h,L,d) views. unbind,
  // not three selects: its backward stacks the three gradients once, where each select's
  // backward would allocate and fill a zero tensor the size of all three (6.5 % of a small-CLIP
  // training step, docs/performance.md).
  auto qkv = lora_linear(x, in_proj_weight, in_proj_bias, in_proj_lora_A, in_proj_lora_B, s)
                 .view({n, l, 3, h, d})
                 .permute({2, 0, 3, 1, 4})
                 .contiguous()
                 .unbind(0);
  auto q = qkv[0].view({n * h, l, d});
  auto k = qkv[1].view({n * h, l, d});
  auto v = qkv[2].view({n * h, l, d});
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  // scores (N·h,L,L) = q·kᵀ/√d (+ mask, broadcast over N·h).
  auto scores = mask.defined()
                    ? torch::baddbmm(mask.to(q.dtype()), q, k.transpose(1, 2), 1.0, scale)
                    : torch::bmm(q, k.transpose(1, 2)).mul_(scale);
  auto ctx = torch::bmm(torch::softmax(scores, -1), v);  // (N·h,L,d)
  ctx = ctx.view({n, h, l, d}).transpose(1, 2).reshape({n, l, w});
  return out_proj->forward(ctx);
}

}  // namespace lethe::models
