#pragma once
// CLIP: ViT image tower + causal text transformer + projections + logit scale, with OpenCLIP's
// parameter names so OpenCLIP safetensors load by name:
//   visual.conv1.weight, visual.class_embedding, visual.positional_embedding, visual.ln_pre.*,
//   visual.transformer.resblocks.N.{ln_1,attn.in_proj_weight,attn.in_proj_bias,attn.out_proj,
//   ln_2,mlp.c_fc,mlp.c_proj}.*, visual.ln_post.*, visual.proj,
//   token_embedding.weight, positional_embedding, transformer.resblocks.N.*, ln_final.*,
//   text_projection, logit_scale.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lethe/core/config.h"
#include "lethe/models/transformer.h"
#include "lethe/models/vit.h"

namespace lethe::models {

struct ClipConfig {
  // Pretrained weights to start from: "" (a fresh model of the shape below) or "openclip:PATH"
  // (an OpenCLIP state dict in safetensors; its architecture comes from `openclip_config` or,
  // without one, from the tensors' shapes — see models/openclip_arch.h).
  std::string init;
  std::string merges;           // CLIP merges file (bpe_simple_vocab_16e6.txt[.gz]) for `init`
  std::string openclip_config;  // OpenCLIP model-config JSON (or a hub open_clip_config.json)
  std::string preset = "small";  // tiny | small | base | ViT-B-32 | custom; explicit fields override
  int64_t image_size = 0;        // 0 = preset's (for small: 32)
  int64_t patch_size = 0;
  int64_t vision_width = 0;
  int64_t vision_layers = 0;
  int64_t vision_heads = 0;
  int64_t text_width = 0;
  int64_t text_layers = 0;
  int64_t text_heads = 0;
  int64_t context_length = 0;
  int64_t vocab_size = 0;        // 0 = the tokenizer's
  int64_t embed_dim = 0;
  double mlp_ratio = 4.0;
  std::string activation = "gelu";  // MLP non-linearity: gelu | quick_gelu (OpenAI's weights)
  double init_logit_scale = 2.6592;  // log(1/0.07)
  // LoRA (METHODS.md §1): rank 0 = off. Targets: attn (in/out proj), mlp (c_fc, c_proj).
  int64_t lora_rank = 0;
  double lora_alpha = 16.0;
  std::vector<std::string> lora_targets = {"attn"};

  template <class V>
  void visit(V& v) {
    v("init", init, "start from pretrained weights: \"\" or \"openclip:PATH\" (safetensors, "
                    "OpenCLIP tensor names; docs/bring-your-own-model.md)");
    v("merges", merges, "with init: CLIP merges file (bpe_simple_vocab_16e6.txt or .txt.gz)");
    v("openclip_config", openclip_config,
      "with init: OpenCLIP model-config JSON or open_clip_config.json (\"\" = beside the "
      "weights, else inferred from the tensors)");
    v("preset", preset, "tiny | small | base | ViT-B-32 | custom (every shape field set)")
        .one_of({"tiny", "small", "base", "ViT-B-32", "custom"});
    v("image_size", image_size, "input resolution (0 = preset)").min(0);
    v("patch_size", patch_size, "ViT patch size (0 = preset)").min(0);
    v("vision_width", vision_width, "image tower width (0 = preset)").min(0);
    v("vision_layers", vision_layers, "image tower depth (0 = preset)").min(0);
    v("vision_heads", vision_heads, "image tower heads (0 = preset)").min(0);
    v("text_width", text_width, "text tower width (0 = preset)").min(0);
    v("text_layers", text_layers, "text tower depth (0 = preset)").min(0);
    v("text_heads", text_heads, "text tower heads (0 = preset)").min(0);
    v("context_length", context_length, "text tokens incl. start/end (0 = preset)").min(0);
    v("vocab_size", vocab_size, "token vocabulary (0 = tokenizer's)").min(0);
    v("embed_dim", embed_dim, "joint embedding size (0 = preset)").min(0);
    v("mlp_ratio", mlp_ratio, "MLP hidden size / width").in(0.5, 16.0);
    v("activation", activation, "MLP non-linearity: gelu | quick_gelu (x·σ(1.702x), OpenAI's)")
        .one_of({"gelu", "quick_gelu"});
    v("init_logit_scale", init_logit_scale, "initial log temperature γ").in(0.0, 4.6052);
    v("lora_rank", lora_rank, "LoRA rank r (0 = full-parameter training)").min(0);
    v("lora_alpha", lora_alpha, "LoRA scale α (update = α/r · B·A)").min(0.0);
    v("lora_targets", lora_targets, "LoRA on: attn, mlp");
  }
  // Fills every 0 field from the preset; throws InputError on inconsistent shapes.
  ClipConfig resolved() const;
};

// The transformer shapes of the image / text tower of a resolved config, with LoRA adapters as
// configured (mlp_width = int(width · mlp_ratio), as OpenCLIP).
TransformerOptions vision_tower_options(const ClipConfig& resolved);
TransformerOptions text_tower_options(const ClipConfig& resolved);

// forward shapes:
//   encode_image: images (N,3,H,W) float, normalised → (N,embed_dim), not normalised
//   encode_text:  tokens (N,L) int64 with <end_of_text> the largest id in each row → (N,embed_dim)
class ClipImpl : public torch::nn::Module {
 public:
  // cfg must be resolved() (resolving again is a no-op) and have vocab_size > 0. Initialisation
  // draws from torch's global generator (torch::manual_seed first for a reproducible model).
  // With lora_rank > 0 only the adapter factors train (see lora.h, set_trainable_for_lora).
  explicit ClipImpl(const ClipConfig& cfg);

  torch::Tensor encode_image(const torch::Tensor& images);
  torch::Tensor encode_text(const torch::Tensor& tokens);
  // e^γ clamped at 100 (scalar tensor).
  torch::Tensor logit_scale_exp() const;

  const ClipConfig& config() const { return cfg_; }
  // Parameters of the image tower / text tower (names start with "visual." / everything else
  // except logit_scale); for per-tower methods.
  static bool is_image_param(const std::string& name);

  torch::Tensor logit_scale;

 private:
  ClipConfig cfg_;
  VisionTransformer visual_{nullptr};
  // Text tower, registered at the top level as in OpenCLIP.
  torch::nn::Embedding token_embedding_{nullptr};
  torch::Tensor positional_embedding_;  // (context_length, text_width)
  Transformer transformer_{nullptr};
  torch::nn::LayerNorm ln_final_{nullptr};
  torch::Tensor text_projection_;  // (text_width, embed_dim), applied as x·text_projection
  // (context_length)² causal mask: a plain member, not model state (OpenCLIP keeps it as a
  // non-persistent buffer), moved lazily to the device of the tokens.
  torch::Tensor attn_mask_;
};
TORCH_MODULE(Clip);

}  // namespace lethe::models
