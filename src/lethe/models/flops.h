#pragma once
// Closed-form size and cost of a CLIP configuration, without building it (benchmarks report
// GFLOP/s from these; tests check them against a built model).
#include <cstdint>

#include "lethe/models/clip.h"

namespace lethe::models {

// Number of scalars in the model's parameters, LoRA factors included, for a resolved config
// (vocab_size as set; 0 counts no token embedding).
int64_t clip_parameter_count(const ClipConfig& resolved);

// Forward FLOPs of one image / one caption of `tokens` tokens: matrix products only, counted as
// 2·m·n·k (patch embedding, q/k/v, q·kᵀ, attention·v, out_proj, MLP, LoRA paths, output
// projection); LayerNorm, softmax, GELU and additions are left out. The text tower is counted
// at all `tokens` positions, as it runs (the projection only at the pooled one).
double clip_forward_flops_image(const ClipConfig& resolved);
double clip_forward_flops_text(const ClipConfig& resolved, int64_t tokens);

}  // namespace lethe::models
