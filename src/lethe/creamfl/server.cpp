#include "lethe/creamfl/server.h"

#include "lethe/core/error.h"
#include "lethe/eval/embed.h"
#include "lethe/train/loop.h"

namespace lethe::creamfl {

namespace F = torch::nn::functional;

CreamServer::CreamServer(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                         const train::TrainConfig& train, const Context& ctx)
    : model_(model), train_(train), ctx_(ctx), batches_(ds, tokens, train.augment_shift),
      opt_(train::make_optimizer(model, train)) {}

double CreamServer::public_epoch(const PublicSet& pub, std::mt19937_64& rng) {
  model_->train();
  double sum = 0;
  int64_t n = 0;
  for (const auto& ids : train::epoch_batches(pub.pairs(), train_.batch_size, rng))
    sum += train::train_step(model_, *opt_, batches_.make(ids, &rng), train_, ctx_), ++n;
  return n ? sum / double(n) : 0.0;
}

Representations CreamServer::represent(const PublicSet& pub) {
  const auto& ds = batches_.dataset();
  std::vector<int64_t> img, cap;
  for (int64_t p : pub.pairs()) img.push_back(ds.pairs[p].image), cap.push_back(ds.pairs[p].caption);
  return {eval::embed_images(model_, ds.images.index_select(0, torch::tensor(img, torch::kLong)), ctx_),
          eval::embed_texts(model_, batches_.tokens().index_select(0, torch::tensor(cap, torch::kLong)),
                            ctx_)};
}

double CreamServer::distill(const PublicSet& pub, const Representations& targets, double beta,
                            std::mt19937_64& rng) {
  LETHE_CHECK(targets.image.defined() || targets.text.defined(), "creamfl: nothing to distil");
  model_->train();
  const auto dev = ctx_.device();
  auto sq_err = [](const torch::Tensor& rep, const torch::Tensor& target) {
    auto s = F::normalize(rep.to(torch::kFloat), F::NormalizeFuncOptions().dim(1));
    return (s - target).pow(2).sum(1).mean();
  };
  std::vector<int64_t> all(pub.size());
  for (int64_t i = 0; i < pub.size(); ++i) all[i] = i;
  double sum = 0;
  int64_t n = 0;
  for (const auto& ids : train::epoch_batches(all, train_.batch_size, rng)) {
    auto idx = torch::tensor(ids, torch::kLong);
    torch::Tensor loss;
    {
      AutocastGuard ac(ctx_);
      if (targets.image.defined())
        loss = sq_err(model_->encode_image(pub.images(idx).to(dev)),
                      targets.image.index_select(0, idx).to(dev));
      if (targets.text.defined()) {
        auto t = sq_err(model_->encode_text(pub.tokens(idx).to(dev)),
                        targets.text.index_select(0, idx).to(dev));
        loss = loss.defined() ? loss + t : t;
      }
    }
    sum += train::descend(*opt_, beta * loss, train_.clip_grad, "creamfl: server distillation");
    ++n;
  }
  return n ? sum / double(n) : 0.0;
}

}  // namespace lethe::creamfl
