#pragma once
// The RNG streams of unlearning, in one list. Every random draw of a deletion request, a method or
// an attack is make_engine(seed, tag, holder, Stream::kUnlearn) with a tag from here (holder: the
// client it is drawn for, -1 for none); unlearn_engine() and friends spell that.
//
// The values are the ones the methods used when each allocated its own by comment, so that every
// benchmark figure reproduces bit for bit; some therefore repeat across methods (PGA 10–12,
// MultiDelete 11–14, EASE 13–14). A method never meets another's streams — each runs alone from
// the original model — so a repeated value correlates two methods' draws, never two draws of one
// method: the static_asserts below keep each method's tags distinct from one another and from
// the streams every method shares (the request's sample draw, the relearning attack). Two
// overlaps inside the multimodal LM session stay, documented beside kLmEntities and kLmFisherForget.
// A new tag takes kFirstFree and up.
#include <torch/torch.h>

#include <cstdint>
#include <initializer_list>
#include <random>

#include "lethe/core/rng.h"

namespace lethe::unlearn {

enum class UnlearnTag : int64_t {
  // Shared by every method of a CLIP run: which of client K's units a samples:K:F request forgets
  // (holder K); the relearning attack's batches (audit).
  kSampleRequest = 0, kRelearnBatch = 15,
  // The ascent family (ga, ga+ft, npo, graddiff, klmin), per holder.
  kAscentForgetBatch = 1, kAscentRetainBatch = 2, kAscentProbe = 3,
  // PGA and FedRecovery (history_methods.cpp).
  kPgaInit = 10, kPgaBatch = 11, kFedRecoveryNoise = 12,
  // MultiDelete, per holder.
  kMultiDeleteForget = 11, kMultiDeleteRetain = 12, kMultiDeletePermutation = 13, kMultiDeleteSelect = 14,
  // EASE's gradient forget and retain bases.
  kEaseForgetGradient = 13, kEaseRetainGradient = 14,
  // The multimodal LM session (its own run kind). kLmEntities (which entities an entities:F
  // request forgets) is the same stream as epoch 0's; epoch e of an LM method draws kLmEpoch + e.
  kLmEntities = 0, kLmEpoch = 0,
  // MMUnlearner's Fisher passes: they coincide with its epochs 1–3, so epoch 1 visits the forget
  // items in the order the forget pass did. Kept so that the LM figures reproduce.
  kLmFisherForget = 1, kLmFisherRetainVqa = 2, kLmFisherAll = 3,
  kFirstFree = 16,
};

constexpr int64_t tag_value(UnlearnTag t) { return static_cast<int64_t>(t); }

inline std::mt19937_64 unlearn_engine(uint64_t seed, UnlearnTag tag, int64_t holder, int64_t offset = 0) {
  return make_engine(seed, tag_value(tag) + offset, holder, Stream::kUnlearn);
}
inline uint64_t unlearn_seed(uint64_t seed, UnlearnTag tag, int64_t holder) {
  return stream_seed(seed, tag_value(tag), holder, Stream::kUnlearn);
}
inline torch::Generator unlearn_generator(uint64_t seed, UnlearnTag tag, int64_t holder) {
  return make_generator(seed, tag_value(tag), holder, Stream::kUnlearn);
}

namespace streams_detail {
constexpr bool distinct(std::initializer_list<UnlearnTag> tags) {
  for (auto a = tags.begin(); a != tags.end(); ++a)
    for (auto b = a + 1; b != tags.end(); ++b)
      if (*a == *b) return false;
  return true;
}
using enum UnlearnTag;
static_assert(distinct({kSampleRequest, kRelearnBatch, kAscentForgetBatch, kAscentRetainBatch, kAscentProbe}));
static_assert(distinct({kSampleRequest, kRelearnBatch, kPgaInit, kPgaBatch, kFedRecoveryNoise}));
static_assert(distinct({kSampleRequest, kRelearnBatch, kMultiDeleteForget, kMultiDeleteRetain,
                        kMultiDeletePermutation, kMultiDeleteSelect}));
static_assert(distinct({kSampleRequest, kRelearnBatch, kEaseForgetGradient, kEaseRetainGradient}));
static_assert(distinct({kLmEntities, kLmFisherForget, kLmFisherRetainVqa, kLmFisherAll}));
}  // namespace streams_detail

}  // namespace lethe::unlearn
