#include "lethe/creamfl/server.h"

#include "lethe/core/error.h"
#include "lethe/eval/embed.h"
#include "lethe/train/loop.h"
#include "lethe/train/loss.h"

namespace lethe::creamfl {

namespace F = torch::nn::functional;

namespace {

torch::Tensor unit(const torch::Tensor& rep) {
  return F::normalize(rep.to(torch::kFloat), F::NormalizeFuncOptions().dim(1));
}

// Σ over the modalities with a target of mean_b ‖s_b − Z̄_idx[b]‖²: s (B,D) the server's unit-norm
// representations of public samples idx (B).
torch::Tensor distill_error(const torch::Tensor& img, const torch::Tensor& txt,
                            const Representations& targets, const torch::Tensor& idx,
                            const torch::Device& dev) {
  torch::Tensor loss = torch::zeros({}, torch::TensorOptions().device(dev));
  auto add = [&](const torch::Tensor& s, const torch::Tensor& z) {
    if (z.defined()) loss = loss + (s - z.index_select(0, idx).to(dev)).pow(2).sum(1).mean();
  };
  add(img, targets.image);
  add(txt, targets.text);
  return loss;
}

std::vector<int64_t> positions(const PublicSet& pub) {
  std::vector<int64_t> all(pub.size());
  for (int64_t i = 0; i < pub.size(); ++i) all[i] = i;
  return all;
}

}  // namespace

CreamServer::CreamServer(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                         const train::TrainConfig& train, const Context& ctx)
    : model_(model), train_(train), ctx_(ctx), batches_(ds, tokens, train.augment_shift),
      opt_(train::make_optimizer(model, train)) {}

double CreamServer::public_epoch(const PublicSet& pub, std::mt19937_64& rng,
                                 const Representations* targets, double beta) {
  model_->train();
  const auto dev = ctx_.device();
  double sum = 0;
  int64_t n = 0;
  for (const auto& pos : train::epoch_batches(positions(pub), train_.batch_size, rng)) {
    std::vector<int64_t> ids;
    for (int64_t p : pos) ids.push_back(pub.pairs()[p]);
    const auto batch = batches_.make(ids, &rng);
    const auto idx = torch::tensor(pos, torch::kLong);
    torch::Tensor loss;
    train::BatchEmbeddings e;
    {
      AutocastGuard ac(ctx_);
      e = train::embed_batch(model_, batch, ctx_);
      loss = train::clip_loss(e.image, e.text, model_->logit_scale_exp(), batch.groups.to(dev));
      if (targets) loss = loss + beta * distill_error(e.image, e.text, *targets, idx, dev);
    }
    const char* who = "creamfl: server public epoch";
    sum += targets && shares_ && shares_->active()
               ? shares_->descend(loss, e.image, e.text, idx, beta, train_.clip_grad, who)
               : train::descend(*opt_, loss, train_.clip_grad, who);
    ++n;
  }
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
  double sum = 0;
  int64_t n = 0;
  for (const auto& pos : train::epoch_batches(positions(pub), train_.batch_size, rng)) {
    auto idx = torch::tensor(pos, torch::kLong);
    torch::Tensor loss, img, txt;
    {
      AutocastGuard ac(ctx_);
      if (targets.image.defined()) img = unit(model_->encode_image(pub.images(idx).to(dev)));
      if (targets.text.defined()) txt = unit(model_->encode_text(pub.tokens(idx).to(dev)));
      loss = distill_error(img, txt, targets, idx, dev);
    }
    const char* who = "creamfl: server distillation";
    sum += shares_ && shares_->active() ? shares_->descend(beta * loss, img, txt, idx, beta, train_.clip_grad, who)
                                        : train::descend(*opt_, beta * loss, train_.clip_grad, who);
    ++n;
  }
  return n ? sum / double(n) : 0.0;
}

}  // namespace lethe::creamfl
