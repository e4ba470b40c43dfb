#pragma once
// Deterministic RNG streams. Every random choice derives from (seed, round, client, purpose)
// through a SplitMix64 hash, so a retrain reference replays exactly the same client sampling
// and local shuffles for the clients it keeps, whatever else changed.
#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

namespace lethe {

enum class Stream : uint64_t {
  kInit = 1, kShuffle = 2, kSampling = 3, kFaults = 4, kAugment = 5, kPartition = 6,
  kNoise = 7, kEval = 8, kUnlearn = 9,
};

uint64_t splitmix64(uint64_t x);
uint64_t stream_seed(uint64_t seed, int64_t round, int64_t client, Stream purpose);
torch::Generator make_generator(uint64_t seed, int64_t round, int64_t client, Stream purpose);
std::mt19937_64 make_engine(uint64_t seed, int64_t round, int64_t client, Stream purpose);
// Deterministic Fisher–Yates permutation of 0..n-1 (independent of the standard library's
// distribution implementations, so results match across platforms).
std::vector<int64_t> permutation(int64_t n, std::mt19937_64& engine);
// Uniform integer in [0, n) without modulo bias, platform-independent.
uint64_t uniform_index(uint64_t n, std::mt19937_64& engine);
double uniform01(std::mt19937_64& engine);

}  // namespace lethe
