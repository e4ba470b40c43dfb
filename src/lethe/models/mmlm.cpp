#include "lethe/models/mmlm.h"

#include <cmath>

#include "lethe/core/error.h"
#include "lethe/models/shape.h"

namespace lethe::models {

MultimodalLmImpl::MultimodalLmImpl(const MultimodalLmOptions& o) : options(o) {
  const int64_t w = o.width(), k = o.prefix_tokens();
  LETHE_CHECK(w % o.heads() == 0, "mllm.width = {} is not a multiple of mllm.heads = {}", w, o.heads());
  LETHE_CHECK(o.vocab_size() > 0 && o.max_text_tokens() > 1, "multimodal LM: empty vocabulary or context");
  visual = register_module("visual", VisionTransformer(o.vision()));
  auto projector = register_module("projector", std::make_shared<torch::nn::Module>());
  fc1 = projector->register_module("fc1", torch::nn::Linear(o.vision().embed_dim(), o.projector_hidden()));
  fc2 = projector->register_module("fc2", torch::nn::Linear(o.projector_hidden(), k * w));
  no_image_prefix = register_parameter("no_image_prefix", 0.02 * torch::randn({k, w}));
  token_embedding = register_module("token_embedding", torch::nn::Embedding(o.vocab_size(), w));
  positional_embedding = register_parameter("positional_embedding", torch::empty({k + o.max_text_tokens(), w}));
  transformer = register_module("transformer", Transformer(TransformerOptions(w, o.layers(), o.heads())));
  ln_final = register_module("ln_final", torch::nn::LayerNorm(torch::nn::LayerNormOptions({w})));
  {
    // GPT-2-style: N(0, 0.02) embeddings (the head is tied to them), scaled residual projections.
    torch::NoGradGuard no_grad;
    token_embedding->weight.normal_(0.0, 0.02);
    positional_embedding.normal_(0.0, 0.01);
    transformer->init_scaled_normal();
  }
  mask_ = causal_mask(k + o.max_text_tokens());
}

torch::Tensor MultimodalLmImpl::forward(const torch::Tensor& tokens, const torch::Tensor& images,
                                        const torch::Tensor& image_rows) {
  const int64_t k = options.prefix_tokens(), w = options.width();
  LETHE_CHECK(tokens.dim() == 2 && tokens.scalar_type() == torch::kLong &&
                  tokens.size(1) <= options.max_text_tokens(),
              "multimodal LM: tokens must be (N,L) int64 with L <= {}, got {}", options.max_text_tokens(),
              shape_str(tokens));
  const int64_t n = tokens.size(0), l = tokens.size(1);
  const auto dtype = positional_embedding.scalar_type();
  auto prefix = no_image_prefix.unsqueeze(0).expand({n, k, w});
  if (image_rows.defined() && image_rows.numel() > 0) {
    LETHE_CHECK(images.defined() && images.size(0) == image_rows.size(0),
                "multimodal LM: {} image rows but images {}", image_rows.size(0), shape_str(images));
    auto v = fc2->forward(torch::gelu(fc1->forward(visual->forward(images)))).to(dtype).view({-1, k, w});
    prefix = prefix.index_copy(0, image_rows, v);
  }
  auto x = torch::cat({prefix, token_embedding->forward(tokens)}, 1) + positional_embedding.slice(0, 0, k + l);
  if (mask_.device() != tokens.device()) mask_ = mask_.to(tokens.device());
  x = transformer->forward(x, mask_.slice(0, 0, k + l).slice(1, 0, k + l));
  x = ln_final->forward(x.slice(1, k, k + l));
  return torch::matmul(x, token_embedding->weight.t()).to(torch::kFloat);
}

bool MultimodalLmImpl::is_vision_param(const std::string& name) {
  return name.rfind("visual.", 0) == 0 || name.rfind("projector.", 0) == 0;
}

}  // namespace lethe::models
