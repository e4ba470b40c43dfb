#pragma once
// One client of a CreamFL federation (METHODS.md §1, steps 3–4). Every party keeps its own model
// and optimiser across rounds (its architecture is its own: a small CLIP, a CNN image encoder or
// a GRU text encoder), trains on its private task, is pulled towards the server's representation
// space by the inter- and intra-modal regularisers on public batches, and uploads its
// representations of P for the modalities it has.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "lethe/core/context.h"
#include "lethe/creamfl/creamfl_config.h"
#include "lethe/creamfl/partition.h"
#include "lethe/creamfl/public_set.h"
#include "lethe/train/train_config.h"

namespace lethe::creamfl {

// How the regularisers join local training: added to every private step's loss (the paper), as
// a separate pass over P after the private epochs (the released code), or not at all.
enum class RegularizerMode { kJoint, kSeparate, kNone };
RegularizerMode parse_regularizer(const std::string& name);

struct LocalSettings {
  int64_t epochs = 1;
  int64_t max_steps = 0;  // > 0: stop the private epochs after this many steps
  RegularizerMode mode = RegularizerMode::kJoint;
  double reg_weight = 0.5;
  double tau = 0.5;
  int64_t public_batch = 128;
};

struct LocalStats {
  int64_t steps = 0;        // optimiser steps (private and, in separate mode, public)
  int64_t examples = 0;     // private examples seen
  double task_loss = 0.0;   // mean private-task loss
  double reg_loss = 0.0;    // mean λ-free L_inter + L_intra (0 when off)
  double train_s = 0.0;
};

class Party {
 public:
  Party(PartyData data, const train::TrainConfig& train);
  virtual ~Party() = default;
  Party(const Party&) = delete;
  Party& operator=(const Party&) = delete;

  const PartyData& data() const { return data_; }
  // The model and its optimiser, for parameter counts and checkpoints.
  virtual torch::nn::Module& module() = 0;
  torch::optim::AdamW& optimizer() { return *opt_; }
  int64_t num_parameters();

  // One round of local training against the server's representations `global` of P.
  LocalStats train_round(const PublicSet& pub, const Representations& global,
                         const LocalSettings& s, const Context& ctx, std::mt19937_64& rng);
  // Representations of P for the party's modalities (eval mode, no augmentation, unit-norm).
  Representations represent(const PublicSet& pub, const Context& ctx, int64_t batch = 512);

 protected:
  // Loss of the private task on items at positions `pos` of data().items.
  virtual torch::Tensor task_loss(const std::vector<int64_t>& pos, const Context& ctx,
                                  std::mt19937_64& rng) = 0;
  // Unnormalised representations; only called for the modalities the party has.
  virtual torch::Tensor encode_image(const torch::Tensor& images);
  virtual torch::Tensor encode_text(const torch::Tensor& tokens);
  // Creates the optimiser; derived constructors call it once their model exists.
  void init_optimizer();

 private:
  // λ-free L_inter + L_intra over the party's modalities on public samples idx.
  torch::Tensor regularizer(const PublicSet& pub, const torch::Tensor& idx,
                            const Representations& global, const Representations& old,
                            double tau, const Context& ctx);
  double step(const torch::Tensor& loss);

  PartyData data_;
  train::TrainConfig train_;
  std::unique_ptr<torch::optim::AdamW> opt_;
};

// Shapes every party is built from.
struct PartyShapes {
  int64_t image_size = 32;
  int64_t embed_dim = 128;       // the server's: every party represents into its space
  int64_t vocab_size = 0;
  int64_t context_length = 32;
  int64_t emoji_classes = 0;
  int64_t fashion_classes = 0;
};

// The party for `data` with a freshly initialised model (deterministic in `seed`). emoji_tokens:
// tokens of every emoji caption; fashion may be null when there are no fashion parties.
std::unique_ptr<Party> make_party(const PartyData& data, const CreamConfig& cfg,
                                  const PartyShapes& shapes, const train::TrainConfig& train,
                                  const data::Dataset& emoji, const torch::Tensor& emoji_tokens,
                                  const data::Dataset* fashion, uint64_t seed);

}  // namespace lethe::creamfl
