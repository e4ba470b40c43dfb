#pragma once
// Endless shuffled epochs over a fixed set of pairs: the batches of a step-counted loop (ascent,
// probes, attacks) rather than an epoch-counted one (run_epochs). One engine drives both the
// shuffles and the augmentation, so a stream is reproducible from its seed.
#include <random>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/train/batches.h"

namespace lethe::train {

class BatchStream {
 public:
  BatchStream(const BatchMaker& maker, std::vector<int64_t> pairs, int64_t batch_size,
              std::mt19937_64 rng)
      : maker_(maker), pairs_(std::move(pairs)), batch_size_(batch_size), rng_(rng) {
    LETHE_CHECK(pairs_.size() >= 2, "a contrastive batch needs at least 2 pairs, got {}", pairs_.size());
  }
  Batch next() {
    if (at_ == epoch_.size()) epoch_ = epoch_batches(pairs_, batch_size_, rng_), at_ = 0;
    return maker_.make(epoch_[at_++], &rng_);
  }

 private:
  const BatchMaker& maker_;
  std::vector<int64_t> pairs_;
  int64_t batch_size_;
  std::mt19937_64 rng_;
  std::vector<std::vector<int64_t>> epoch_;
  size_t at_ = 0;
};

}  // namespace lethe::train
