#pragma once
// The tiny multimodal LM of METHODS.md §5: a CLIP image tower → projector (Linear–GELU–Linear)
// → k visual prefix tokens → a decoder-only (pre-LayerNorm, causal) transformer LM whose output
// head is tied to its token embedding. Every sequence is [k prefix slots][text tokens]; rows
// without an image fill the prefix with a learnt "no image" prefix, so image questions and
// text-only questions share one layout and one batch.
//
// Parameter names: visual.* (as CLIP's, so a trained CLIP's image tower loads by name),
// projector.{fc1,fc2}.*, no_image_prefix, token_embedding.weight, positional_embedding,
// transformer.resblocks.N.*, ln_final.*.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "lethe/models/transformer.h"
#include "lethe/models/vit.h"

namespace lethe::models {

struct MultimodalLmOptions {
  MultimodalLmOptions(VisionTransformerOptions vision, int64_t vocab_size, int64_t max_text_tokens)
      : vision_(std::move(vision)), vocab_size_(vocab_size), max_text_tokens_(max_text_tokens) {}
  TORCH_ARG(VisionTransformerOptions, vision);
  TORCH_ARG(int64_t, vocab_size);
  TORCH_ARG(int64_t, max_text_tokens);  // longest text part (prompt + answer + specials)
  TORCH_ARG(int64_t, prefix_tokens) = 4;
  TORCH_ARG(int64_t, width) = 128;
  TORCH_ARG(int64_t, layers) = 2;
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, projector_hidden) = 256;
};

class MultimodalLmImpl : public torch::nn::Module {
 public:
  explicit MultimodalLmImpl(const MultimodalLmOptions& options);
  // tokens (N,L) int64, L ≤ max_text_tokens; images (M,3,S,S) float, CLIP-normalised, the
  // images of rows image_rows (M,) int64 (M = 0: a text-only batch; images may be undefined).
  // Returns next-token logits (N,L,vocab) float32: logits[:, j] predicts tokens[:, j+1].
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& images,
                        const torch::Tensor& image_rows);
  // The vision tower and projector (MMUnlearner's first mask group) vs the language model.
  static bool is_vision_param(const std::string& name);

  MultimodalLmOptions options;
  VisionTransformer visual{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};  // registered under "projector."
  torch::Tensor no_image_prefix;                 // (k, w)
  torch::nn::Embedding token_embedding{nullptr};
  torch::Tensor positional_embedding;            // (k + max_text_tokens, w)
  Transformer transformer{nullptr};
  torch::nn::LayerNorm ln_final{nullptr};

 private:
  torch::Tensor mask_;  // causal (k + max_text_tokens)²
};
TORCH_MODULE(MultimodalLm);

}  // namespace lethe::models
