#include "lethe/rpc/tensor_stream.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "lethe/core/error.h"

namespace lethe::rpc {

namespace {

constexpr std::array<std::pair<c10::ScalarType, const char*>, 8> kDtypes{{
    {torch::kFloat32, "float32"}, {torch::kFloat64, "float64"}, {torch::kFloat16, "float16"},
    {torch::kBFloat16, "bfloat16"}, {torch::kInt64, "int64"}, {torch::kInt32, "int32"},
    {torch::kUInt8, "uint8"}, {torch::kBool, "bool"},
}};

std::optional<c10::ScalarType> dtype_from_name(const std::string& name) {
  for (const auto& [t, n] : kDtypes)
    if (name == n) return t;
  return std::nullopt;
}

uint32_t crc_of(const void* data, size_t n, uint32_t crc = 0) {
  // zlib's crc32 takes uInt lengths: feed large buffers in pieces.
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {
    const auto piece = static_cast<uInt>(std::min<size_t>(n, size_t{1} << 30));
    crc = static_cast<uint32_t>(crc32(crc, p, piece));
    p += piece;
    n -= piece;
  }
  return crc;
}

}  // namespace

std::string dtype_name(c10::ScalarType t) {
  for (const auto& [type, n] : kDtypes)
    if (t == type) return n;
  throw InputError(fmt::format("dtype {} cannot be sent", c10::toString(t)));
}

bool write_chunks(const TensorMap& tensors, const std::function<bool(const v1::TensorChunk&)>& emit) {
  for (const auto& [name, tensor] : tensors) {
    const auto t = tensor.detach().to(torch::kCPU).contiguous();
    const auto* bytes = static_cast<const char*>(t.data_ptr());
    const size_t n = t.nbytes();
    v1::TensorChunk chunk;
    auto* h = chunk.mutable_header();
    h->set_name(name);
    h->set_dtype(dtype_name(t.scalar_type()));
    for (int64_t d : t.sizes()) h->add_shape(d);
    h->set_nbytes(n);
    h->set_crc32(crc_of(bytes, n));
    size_t offset = 0;
    do {  // a tensor with no elements still sends its header
      const size_t len = std::min(kChunkBytes, n - offset);
      chunk.set_offset(offset);
      chunk.set_data(bytes + offset, len);
      if (!emit(chunk)) return false;
      chunk.clear_header();
      offset += len;
    } while (offset < n);
  }
  return true;
}

void TensorAssembler::close_current() {
  if (name_.empty()) return;
  LETHE_CHECK(filled_ == current_.nbytes(), "tensor '{}' ended after {} of {} bytes", name_, filled_,
              current_.nbytes());
  LETHE_CHECK(crc_of(current_.data_ptr(), current_.nbytes()) == crc_,
              "tensor '{}' arrived damaged (CRC-32 mismatch)", name_);
  done_.emplace(std::move(name_), std::move(current_));
  name_.clear();
}

void TensorAssembler::add(const v1::TensorChunk& chunk) {
  if (chunk.has_header()) {
    close_current();
    const auto& h = chunk.header();
    LETHE_CHECK(!h.name().empty(), "a tensor without a name");
    LETHE_CHECK(!done_.count(h.name()), "tensor '{}' sent twice", h.name());
    auto dtype = dtype_from_name(h.dtype());
    LETHE_CHECK(dtype, "tensor '{}' has unknown dtype '{}'", h.name(), h.dtype());
    std::vector<int64_t> shape(h.shape().begin(), h.shape().end());
    int64_t numel = 1;
    for (int64_t d : shape) {
      LETHE_CHECK(d >= 0 && d <= (int64_t{1} << 40), "tensor '{}' has dimension {}", h.name(), d);
      numel *= d;
      LETHE_CHECK(numel <= (int64_t{1} << 40), "tensor '{}' is implausibly large", h.name());
    }
    if (expected_) {
      auto it = expected_->find(h.name());
      LETHE_CHECK(it != expected_->end(), "unexpected tensor '{}'", h.name());
      LETHE_CHECK(it->second.sizes().vec() == shape && it->second.scalar_type() == *dtype,
                  "tensor '{}' has dtype {} and shape [{}]; expected {} [{}]", h.name(), h.dtype(),
                  fmt::join(shape, ", "), dtype_name(it->second.scalar_type()),
                  fmt::join(it->second.sizes(), ", "));
    }
    const uint64_t want = uint64_t(numel) * c10::elementSize(*dtype);
    LETHE_CHECK(h.nbytes() == want, "tensor '{}' claims {} bytes; its shape needs {}", h.name(),
                h.nbytes(), want);
    name_ = h.name();
    current_ = torch::empty(shape, torch::TensorOptions().dtype(*dtype));
    filled_ = 0;
    crc_ = h.crc32();
  }
  LETHE_CHECK(!name_.empty(), "a tensor chunk arrived before its header");
  LETHE_CHECK(chunk.offset() == filled_, "tensor '{}': chunk at offset {}, expected {}", name_,
              chunk.offset(), filled_);
  LETHE_CHECK(chunk.data().size() <= current_.nbytes() - filled_,
              "tensor '{}': chunk runs past its {} bytes", name_, current_.nbytes());
  std::memcpy(static_cast<char*>(current_.data_ptr()) + filled_, chunk.data().data(), chunk.data().size());
  filled_ += chunk.data().size();
}

TensorMap TensorAssembler::finish() {
  close_current();
  if (expected_)
    for (const auto& [name, t] : *expected_)
      LETHE_CHECK(done_.count(name), "tensor '{}' is missing", name);
  return std::move(done_);
}

}  // namespace lethe::rpc
