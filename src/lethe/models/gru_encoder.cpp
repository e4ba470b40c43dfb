#include "lethe/models/gru_encoder.h"

#include "lethe/core/error.h"
#include "lethe/models/shape.h"

namespace lethe::models {

GruTextEncoderImpl::GruTextEncoderImpl(const GruTextEncoderOptions& o) : options(o) {
  LETHE_CHECK(o.vocab_size() > 0 && o.context_length() > 0 && o.width() > 0 &&
                  o.embed_dim() > 0 && o.num_classes() > 0,
              "gru encoder: vocab_size, context_length, width, embed_dim and num_classes must be "
              "positive, got {}, {}, {}, {}, {}",
              o.vocab_size(), o.context_length(), o.width(), o.embed_dim(), o.num_classes());
  // nn defaults throughout: N(0,1) embedding, U(±1/√width) GRU, Kaiming-uniform linears.
  token_embedding = register_module(
      "token_embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(o.vocab_size(), o.width())));
  gru = register_module(
      "gru", torch::nn::GRU(torch::nn::GRUOptions(o.width(), o.width()).num_layers(1).batch_first(true)));
  proj = register_module("proj", torch::nn::Linear(o.width(), o.embed_dim()));
  head = register_module("head", torch::nn::Linear(o.embed_dim(), o.num_classes()));
}

torch::Tensor GruTextEncoderImpl::encode(const torch::Tensor& tokens) {
  const int64_t ctx = options.context_length(), vocab = options.vocab_size();
  LETHE_CHECK(tokens.dim() == 2 && tokens.scalar_type() == torch::kLong && tokens.size(0) > 0 &&
                  tokens.size(1) >= 1 && tokens.size(1) <= ctx,
              "tokens must be (N,L) int64 with N >= 1 and 1 <= L <= {} (context_length), got {} {}",
              ctx, shape_str(tokens), c10::toString(tokens.scalar_type()));
  const auto [lo, hi] = torch::aminmax(tokens);
  const int64_t min_id = lo.item<int64_t>(), max_id = hi.item<int64_t>();
  LETHE_CHECK(min_id >= 0 && max_id < vocab,
              "token ids must lie in [0, {}) (vocab_size), got ids in [{}, {}]", vocab, min_id, max_id);
  auto x = std::get<0>(gru->forward(token_embedding->forward(tokens)));  // (N,L,width)
  auto eot = tokens.argmax(-1);                                           // first largest id
  auto pooled = x.index({torch::arange(tokens.size(0), tokens.options()), eot});  // (N,width)
  return proj->forward(pooled);
}

torch::Tensor GruTextEncoderImpl::classify(const torch::Tensor& representation) {
  LETHE_CHECK(representation.dim() == 2 && representation.size(1) == options.embed_dim(),
              "representation must be (N,{}) for this model, got {}", options.embed_dim(),
              shape_str(representation));
  return head->forward(representation);
}

}  // namespace lethe::models
