#include "lethe/creamfl/party.h"

#include "lethe/core/error.h"
#include "lethe/core/rng.h"
#include "lethe/core/stopwatch.h"
#include "lethe/creamfl/regularizers.h"
#include "lethe/eval/embed.h"
#include "lethe/models/clip.h"
#include "lethe/models/cnn_encoder.h"
#include "lethe/models/gru_encoder.h"
#include "lethe/train/batches.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/loop.h"

namespace lethe::creamfl {

namespace F = torch::nn::functional;

RegularizerMode parse_regularizer(const std::string& name) {
  if (name == "joint") return RegularizerMode::kJoint;
  if (name == "separate") return RegularizerMode::kSeparate;
  if (name == "none") return RegularizerMode::kNone;
  throw InputError(fmt::format("unknown creamfl regularizer '{}'; valid: joint, separate, none", name));
}

Party::Party(PartyData data, const train::TrainConfig& train)
    : data_(std::move(data)), train_(train) {
  LETHE_CHECK(!data_.items.empty(), "creamfl: client '{}' has no data", data_.name);
}

void Party::init_optimizer() { opt_ = train::make_optimizer(module(), train_); }

int64_t Party::num_parameters() {
  int64_t n = 0;
  for (const auto& p : module().parameters()) n += p.numel();
  return n;
}

torch::Tensor Party::encode_image(const torch::Tensor&) {
  throw Error(fmt::format("creamfl: client '{}' has no image encoder", data_.name));
}

torch::Tensor Party::encode_text(const torch::Tensor&) {
  throw Error(fmt::format("creamfl: client '{}' has no text encoder", data_.name));
}

double Party::step(const torch::Tensor& loss) {
  return train::descend(*opt_, loss, train_.clip_grad, "creamfl: client '" + data_.name + "'");
}

torch::Tensor Party::regularizer(const PublicSet& pub, const torch::Tensor& idx,
                                 const Representations& global, const Representations& old,
                                 double tau, const Context& ctx) {
  const auto dev = ctx.device();
  const auto units = pub.units().to(dev);
  const auto at = idx.to(dev);
  auto unit_norm = [](const torch::Tensor& x) {
    return F::normalize(x.to(torch::kFloat), F::NormalizeFuncOptions().dim(1));
  };
  auto terms = [&](const torch::Tensor& z, const torch::Tensor& same, const torch::Tensor& other,
                   const torch::Tensor& own_old) {
    return inter_modal_loss(z, other.to(dev), at, units, tau) +
           intra_modal_loss(z, same.to(dev).index_select(0, at), own_old.to(dev).index_select(0, at), tau);
  };
  torch::Tensor total;
  AutocastGuard ac(ctx);
  if (data_.has_image()) {
    auto z = unit_norm(encode_image(pub.images(idx).to(dev)));
    total = terms(z, global.image, global.text, old.image);
  }
  if (data_.has_text()) {
    auto z = unit_norm(encode_text(pub.tokens(idx).to(dev)));
    auto t = terms(z, global.text, global.image, old.text);
    total = total.defined() ? total + t : t;
  }
  return total;
}

LocalStats Party::train_round(const PublicSet& pub, const Representations& global,
                              const LocalSettings& s, const Context& ctx, std::mt19937_64& rng) {
  const Stopwatch clock;
  const bool reg = s.mode != RegularizerMode::kNone && s.reg_weight > 0;
  LETHE_CHECK(!reg || (global.image.defined() && global.text.defined()),
              "creamfl: the regularisers need the server's image and text representations");
  Representations old;
  if (reg) old = represent(pub, ctx);  // the start-of-round snapshot (intra-modal negatives)
  module().train();
  // Public batches cycle through one shuffled order of P.
  const auto order = permutation(pub.size(), rng);
  size_t next = 0;
  auto public_batch = [&] {
    std::vector<int64_t> idx;
    const int64_t b = std::min<int64_t>(s.public_batch, pub.size());
    for (int64_t i = 0; i < b; ++i, next = (next + 1) % order.size()) idx.push_back(order[next]);
    return torch::tensor(idx, torch::kLong);
  };

  LocalStats st;
  double task_sum = 0, reg_sum = 0;
  int64_t task_steps = 0, reg_steps = 0;
  std::vector<int64_t> positions(data_.items.size());
  for (size_t i = 0; i < positions.size(); ++i) positions[i] = static_cast<int64_t>(i);
  for (int64_t e = 0; e < s.epochs && !(s.max_steps > 0 && task_steps == s.max_steps); ++e) {
    for (const auto& pos : train::epoch_batches(positions, train_.batch_size, rng)) {
      if (s.max_steps > 0 && task_steps == s.max_steps) break;
      auto task = task_loss(pos, ctx, rng);
      auto loss = task;
      if (reg && s.mode == RegularizerMode::kJoint) {
        auto r = regularizer(pub, public_batch(), global, old, s.tau, ctx);
        reg_sum += r.item<double>(), ++reg_steps;
        loss = loss + s.reg_weight * r;
      }
      step(loss);
      task_sum += task.item<double>(), ++task_steps;
      st.examples += static_cast<int64_t>(pos.size());
    }
  }
  if (reg && s.mode == RegularizerMode::kSeparate) {
    for (int64_t done = 0; done < pub.size(); done += s.public_batch) {
      auto r = regularizer(pub, public_batch(), global, old, s.tau, ctx);
      reg_sum += step(s.reg_weight * r) / s.reg_weight, ++reg_steps;
    }
  }
  st.steps = task_steps + (s.mode == RegularizerMode::kSeparate ? reg_steps : 0);
  st.task_loss = task_steps ? task_sum / double(task_steps) : 0.0;
  st.reg_loss = reg_steps ? reg_sum / double(reg_steps) : 0.0;
  st.train_s = clock.seconds();
  return st;
}

Representations Party::represent(const PublicSet& pub, const Context& ctx, int64_t batch) {
  torch::NoGradGuard ng;
  eval::EvalMode em(module());
  Representations r;
  auto rows = [](int64_t s, int64_t e) { return torch::arange(s, e, torch::kLong); };
  if (data_.has_image())
    r.image = eval::embed_batches(pub.size(), batch, ctx, [&](int64_t s, int64_t e) {
      return encode_image(pub.images(rows(s, e)).to(ctx.device()));
    });
  if (data_.has_text())
    r.text = eval::embed_batches(pub.size(), batch, ctx, [&](int64_t s, int64_t e) {
      return encode_text(pub.tokens(rows(s, e)).to(ctx.device()));
    });
  return r;
}

namespace {

std::vector<int64_t> gather(const std::vector<int64_t>& v, const std::vector<int64_t>& pos) {
  std::vector<int64_t> out;
  out.reserve(pos.size());
  for (int64_t p : pos) out.push_back(v[p]);
  return out;
}

// A small CLIP on the party's emoji pairs: the contrastive loss is its task.
class PairedParty : public Party {
 public:
  PairedParty(const PartyData& data, const train::TrainConfig& train, const models::ClipConfig& cfg,
              const data::Dataset& ds, const torch::Tensor& tokens, uint64_t seed)
      : Party(data, train), clip_(train::make_model(cfg, seed)),
        batches_(ds, tokens, train.augment_shift) {
    init_optimizer();
  }
  torch::nn::Module& module() override { return *clip_; }

 protected:
  torch::Tensor task_loss(const std::vector<int64_t>& pos, const Context& ctx,
                          std::mt19937_64& rng) override {
    return train::batch_loss(clip_, batches_.make(gather(data().items, pos), &rng), ctx);
  }
  torch::Tensor encode_image(const torch::Tensor& images) override {
    return clip_->encode_image(images);
  }
  torch::Tensor encode_text(const torch::Tensor& tokens) override {
    return clip_->encode_text(tokens);
  }

 private:
  models::Clip clip_;
  train::BatchMaker batches_;
};

// Classification of labelled images (emoji by group, Fashion-MNIST by class) with a CNN.
class ImageParty : public Party {
 public:
  ImageParty(const PartyData& data, const train::TrainConfig& train,
             const models::CnnImageEncoderOptions& opts, const data::Dataset& ds, uint64_t seed)
      : Party(data, train), ds_(ds), shift_(train.augment_shift),
        labels_(torch::tensor(data.labels, torch::kLong)) {
    torch::manual_seed(seed);
    net_ = models::CnnImageEncoder(opts);
    init_optimizer();
  }
  torch::nn::Module& module() override { return *net_; }

 protected:
  torch::Tensor task_loss(const std::vector<int64_t>& pos, const Context& ctx,
                          std::mt19937_64& rng) override {
    auto images = ds_.images.index_select(0, torch::tensor(gather(data().items, pos), torch::kLong));
    if (shift_ > 0) images = train::shift_images(images, shift_, rng);
    AutocastGuard ac(ctx);
    auto logits = net_->classify(net_->encode(data::normalize_images(images).to(ctx.device())));
    return F::cross_entropy(logits.to(torch::kFloat),
                            labels_.index_select(0, torch::tensor(pos, torch::kLong)).to(ctx.device()));
  }
  torch::Tensor encode_image(const torch::Tensor& images) override { return net_->encode(images); }

 private:
  const data::Dataset& ds_;
  int64_t shift_;
  torch::Tensor labels_;
  models::CnnImageEncoder net_{nullptr};
};

// Classification of labelled captions (emoji by group) with a GRU.
class TextParty : public Party {
 public:
  TextParty(const PartyData& data, const train::TrainConfig& train,
            const models::GruTextEncoderOptions& opts, const torch::Tensor& tokens, uint64_t seed)
      : Party(data, train), tokens_(tokens), labels_(torch::tensor(data.labels, torch::kLong)) {
    torch::manual_seed(seed);
    net_ = models::GruTextEncoder(opts);
    init_optimizer();
  }
  torch::nn::Module& module() override { return *net_; }

 protected:
  torch::Tensor task_loss(const std::vector<int64_t>& pos, const Context& ctx,
                          std::mt19937_64&) override {
    auto tokens = tokens_.index_select(0, torch::tensor(gather(data().items, pos), torch::kLong));
    AutocastGuard ac(ctx);
    auto logits = net_->classify(net_->encode(tokens.to(ctx.device())));
    return F::cross_entropy(logits.to(torch::kFloat),
                            labels_.index_select(0, torch::tensor(pos, torch::kLong)).to(ctx.device()));
  }
  torch::Tensor encode_text(const torch::Tensor& tokens) override { return net_->encode(tokens); }

 private:
  torch::Tensor tokens_, labels_;
  models::GruTextEncoder net_{nullptr};
};

models::ClipConfig paired_config(const CreamConfig& cfg, const PartyShapes& shapes) {
  models::ClipConfig c;
  c.preset = "tiny";
  c.image_size = shapes.image_size;
  c.patch_size = cfg.paired_patch;
  c.vision_width = c.text_width = cfg.paired_width;
  c.vision_layers = c.text_layers = cfg.paired_layers;
  c.vision_heads = c.text_heads = std::max<int64_t>(1, cfg.paired_width / 32);
  c.context_length = shapes.context_length;
  c.vocab_size = shapes.vocab_size;
  c.embed_dim = shapes.embed_dim;
  return c.resolved();
}

}  // namespace

std::unique_ptr<Party> make_party(const PartyData& data, const CreamConfig& cfg,
                                  const PartyShapes& shapes, const train::TrainConfig& train,
                                  const data::Dataset& emoji, const torch::Tensor& emoji_tokens,
                                  const data::Dataset* fashion, uint64_t seed) {
  switch (data.kind) {
    case PartyKind::kPaired:
      return std::make_unique<PairedParty>(data, train, paired_config(cfg, shapes), emoji,
                                           emoji_tokens, seed);
    case PartyKind::kImage:
    case PartyKind::kFashion: {
      const bool fm = data.kind == PartyKind::kFashion;
      LETHE_CHECK(!fm || fashion, "creamfl: client '{}' needs Fashion-MNIST", data.name);
      auto opts = models::CnnImageEncoderOptions(shapes.image_size, shapes.embed_dim,
                                                 fm ? shapes.fashion_classes : shapes.emoji_classes)
                      .channels(cfg.cnn_channels);
      return std::make_unique<ImageParty>(data, train, opts, fm ? *fashion : emoji, seed);
    }
    case PartyKind::kText: {
      auto opts = models::GruTextEncoderOptions(shapes.vocab_size, shapes.context_length,
                                                shapes.embed_dim, shapes.emoji_classes)
                      .width(cfg.gru_width);
      return std::make_unique<TextParty>(data, train, opts, emoji_tokens, seed);
    }
  }
  throw Error("creamfl: unknown client kind");
}

}  // namespace lethe::creamfl
