#pragma once
// Small recurrent text encoder for CreamFL's uni-modal text clients (Yu et al., ICLR 2023):
// clients hold heterogeneous, much smaller models than the server's CLIP and train them on their
// own labelled data; the representation (before the class head) is what they share.
//   token_embedding (vocab → width) → gru (1 layer, unidirectional, batch-first, width → width)
//   → the hidden output at each row's <end_of_text> → proj (width → embed_dim) = the
//   representation; head (embed_dim → num_classes) = class logits.
// <end_of_text> is located as CLIP does: the largest token id in the row (its first occurrence).
// The GRU runs left to right, so the representation depends only on the tokens up to and
// including <end_of_text>; the padding after it does not matter.
#include <torch/torch.h>

#include <cstdint>

namespace lethe::models {

struct GruTextEncoderOptions {
  GruTextEncoderOptions(int64_t vocab_size, int64_t context_length, int64_t embed_dim,
                        int64_t num_classes)
      : vocab_size_(vocab_size), context_length_(context_length), embed_dim_(embed_dim),
        num_classes_(num_classes) {}
  TORCH_ARG(int64_t, vocab_size);
  TORCH_ARG(int64_t, context_length);  // the longest accepted row, <start_of_text>/<end_of_text> included
  TORCH_ARG(int64_t, width) = 128;     // embedding and GRU hidden size
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, num_classes);
};

class GruTextEncoderImpl : public torch::nn::Module {
 public:
  // Throws InputError on non-positive sizes. Initialisation draws from torch's global generator
  // (torch::manual_seed first for a reproducible model).
  explicit GruTextEncoderImpl(const GruTextEncoderOptions& options);
  // tokens: (N,L) int64, 1 <= L <= context_length, ids in [0, vocab_size), <end_of_text> the
  // largest id in each row, 0-padded after it → (N, embed_dim), not normalised
  torch::Tensor encode(const torch::Tensor& tokens);
  // representation: (N, embed_dim) → logits (N, num_classes)
  torch::Tensor classify(const torch::Tensor& representation);

  GruTextEncoderOptions options;
  torch::nn::Embedding token_embedding{nullptr};  // (vocab_size, width)
  torch::nn::GRU gru{nullptr};                    // gru.{weight,bias}_{ih,hh}_l0
  torch::nn::Linear proj{nullptr};                // width → embed_dim
  torch::nn::Linear head{nullptr};                // embed_dim → num_classes
};
TORCH_MODULE(GruTextEncoder);

}  // namespace lethe::models
