#pragma once
// Named tensors over the wire: each tensor as a header plus chunks of at most kChunkBytes, with a
// CRC-32 per tensor, so a model of any size travels under gRPC's per-message limit and a damaged
// or truncated transfer is detected instead of trained on.
#include <cstddef>
#include <functional>
#include <string>

#include "lethe/core/tensor_map.h"
#include "lethe/v1/federation.pb.h"

namespace lethe::rpc {

constexpr size_t kChunkBytes = size_t{1} << 20;
// Both ends refuse messages larger than this (a chunk plus its header fits with room to spare).
constexpr int kMaxMessageBytes = 4 << 20;

// Wire names of the dtypes Lethe sends ("float32", "bfloat16", ...).
std::string dtype_name(c10::ScalarType t);

// Calls emit(chunk) for every chunk of every tensor, in name order; stops early (and returns
// false) when emit returns false (the peer went away).
bool write_chunks(const TensorMap& tensors, const std::function<bool(const v1::TensorChunk&)>& emit);

// Rebuilds a TensorMap from chunks. With an expected layout every tensor must be one of its names
// with its dtype and shape, each exactly once, and all of them must arrive. Every malformed
// chunk (unknown name or dtype, size that does not match the shape, a gap or overlap, data past
// the end, a CRC mismatch, a chunk before its header) is an InputError naming the tensor.
class TensorAssembler {
 public:
  explicit TensorAssembler(const TensorMap* expected = nullptr) : expected_(expected) {}
  void add(const v1::TensorChunk& chunk);
  TensorMap finish();  // InputError if a tensor is incomplete or an expected one is missing

 private:
  void close_current();

  const TensorMap* expected_;
  TensorMap done_;
  std::string name_;      // tensor being filled ("" = none)
  torch::Tensor current_;
  uint64_t filled_ = 0;
  uint32_t crc_ = 0;
};

}  // namespace lethe::rpc
