#include "lethe/core/rng.h"

#include <ATen/CPUGeneratorImpl.h>

#include <numeric>

#include "lethe/core/error.h"

namespace lethe {

uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t stream_seed(uint64_t seed, int64_t round, int64_t client, Stream purpose) {
  // Chaining a bijection: for a fixed prefix, distinct values of the next coordinate always
  // give distinct states, and the final mix decorrelates nearby coordinates.
  uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ static_cast<uint64_t>(round));
  h = splitmix64(h ^ static_cast<uint64_t>(client));
  return splitmix64(h ^ static_cast<uint64_t>(purpose));
}

torch::Generator make_generator(uint64_t seed, int64_t round, int64_t client, Stream purpose) {
  return at::make_generator<at::CPUGeneratorImpl>(stream_seed(seed, round, client, purpose));
}

std::mt19937_64 make_engine(uint64_t seed, int64_t round, int64_t client, Stream purpose) {
  return std::mt19937_64(stream_seed(seed, round, client, purpose));
}

uint64_t uniform_index(uint64_t n, std::mt19937_64& engine) {
  LETHE_ASSERT(n > 0);
  // Accept only draws from the largest multiple of n below 2^64; (2^64 - n) % n == 2^64 % n.
  const uint64_t reject_below = (0 - n) % n;
  while (true) {
    uint64_t x = engine();
    if (x >= reject_below) return x % n;
  }
}

double uniform01(std::mt19937_64& engine) {
  return static_cast<double>(engine() >> 11) * 0x1.0p-53;  // 53 random mantissa bits
}

std::vector<int64_t> permutation(int64_t n, std::mt19937_64& engine) {
  LETHE_ASSERT(n >= 0);
  std::vector<int64_t> out(static_cast<size_t>(n));
  std::iota(out.begin(), out.end(), int64_t{0});
  for (int64_t i = n - 1; i > 0; --i) {
    auto j = static_cast<int64_t>(uniform_index(static_cast<uint64_t>(i) + 1, engine));
    std::swap(out[i], out[j]);
  }
  return out;
}

}  // namespace lethe
