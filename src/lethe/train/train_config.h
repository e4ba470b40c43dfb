#pragma once
// Local/central training hyper-parameters ([train] section) and evaluation ([eval] section).
#include <cstdint>
#include <string>

#include "lethe/core/config.h"

namespace lethe::train {

struct TrainConfig {
  int64_t epochs = 10;         // central: passes over the data; federated: local epochs per round
  int64_t batch_size = 256;
  double lr = 1e-3;            // peak learning rate (AdamW)
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.98;
  double eps = 1e-6;
  double warmup = 0.05;        // fraction of all steps spent in linear warm-up
  double min_lr_ratio = 0.0;   // cosine decays to lr·min_lr_ratio
  double clip_grad = 1.0;      // global gradient-norm clip (0 = off)
  int64_t augment_shift = 2;   // random translation in pixels (white fill); 0 = off
  int64_t num_merges = 2000;   // BPE merges learned on the dataset's captions

  template <class V>
  void visit(V& v) {
    v("epochs", epochs, "epochs (federated: local epochs per round)").min(1);
    v("batch_size", batch_size, "pairs per contrastive batch").min(2);
    v("lr", lr, "peak learning rate").in(0.0, 1.0);
    v("weight_decay", weight_decay, "AdamW decoupled weight decay").in(0.0, 10.0);
    v("beta1", beta1, "AdamW β1").in(0.0, 0.9999);
    v("beta2", beta2, "AdamW β2").in(0.0, 0.99999);
    v("eps", eps, "AdamW ε").in(1e-12, 1.0);
    v("warmup", warmup, "fraction of steps in linear warm-up").in(0.0, 1.0);
    v("min_lr_ratio", min_lr_ratio, "final lr / peak lr of the cosine").in(0.0, 1.0);
    v("clip_grad", clip_grad, "gradient-norm clip (0 = off)").min(0.0);
    v("augment_shift", augment_shift, "random shift augmentation in pixels (0 = off)").in(0, 64);
    v("num_merges", num_merges, "BPE merges learned on the captions").in(0, 100000);
  }
};

struct EvalConfig {
  int64_t train_units = 1000;  // units sampled (seeded) from train for the "train" gallery
  int64_t batch = 512;         // embedding batch size
  int64_t val_units = 500;     // federated: units of the clients' validation pairs evaluated per round

  template <class V>
  void visit(V& v) {
    v("train_units", train_units, "units in the training-set gallery").min(1);
    v("batch", batch, "embedding batch size").min(1);
    v("val_units", val_units, "federated: validation units evaluated after every round").min(1);
  }
};

}  // namespace lethe::train
