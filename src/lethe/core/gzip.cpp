#include "lethe/core/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

#include "lethe/core/error.h"

namespace lethe {

namespace {

constexpr int kGzipWindow = 15 + 16;  // zlib: 32 KiB window, gzip wrapper
constexpr size_t kChunk = size_t{1} << 16;

// zlib counts in uInt: feed a large buffer in pieces.
uInt piece(size_t left) { return static_cast<uInt>(std::min<size_t>(left, UINT_MAX)); }

}  // namespace

bool is_gzip(std::string_view bytes) { return bytes.starts_with("\x1f\x8b"); }

std::string gunzip(std::string_view bytes, const std::string& name, size_t max_bytes) {
  LETHE_CHECK(is_gzip(bytes), "cannot decompress {}: not gzip data", name);
  z_stream z{};
  LETHE_ENSURE(inflateInit2(&z, kGzipWindow) == Z_OK, "zlib cannot initialise inflate");
  auto fail = [&](const std::string& why) {
    inflateEnd(&z);
    throw InputError(fmt::format("cannot decompress {}: {}", name, why));
  };
  std::string out;
  char buf[kChunk];
  size_t fed = 0;  // bytes handed to zlib so far
  while (true) {
    if (z.avail_in == 0 && fed < bytes.size()) {
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + fed));
      z.avail_in = piece(bytes.size() - fed);
      fed += z.avail_in;
    }
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    const int code = inflate(&z, Z_NO_FLUSH);
    const size_t produced = sizeof buf - z.avail_out;
    if (out.size() + produced > max_bytes)
      fail(fmt::format("it decompresses to more than {} bytes", max_bytes));
    out.append(buf, produced);
    if (code == Z_STREAM_END) {
      // Another member may follow (gzip -d joins them); zero padding is ignored, as Python's
      // gzip module does; anything else is an error.
      const auto rest = bytes.substr(fed - z.avail_in);
      if (rest.find_first_not_of('\0') == std::string_view::npos) break;
      if (!is_gzip(rest) || inflateReset(&z) != Z_OK) fail("data after the end of the gzip stream");
      continue;
    }
    // With a fresh output buffer every call, Z_BUF_ERROR means the input ran out mid-stream.
    if (code == Z_BUF_ERROR) fail("the gzip stream ends early");
    if (code != Z_OK) fail(z.msg ? z.msg : "corrupt gzip data");
  }
  inflateEnd(&z);
  return out;
}

std::string gzip(std::string_view bytes) {
  z_stream z{};
  LETHE_ENSURE(
      deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, kGzipWindow, 8, Z_DEFAULT_STRATEGY) == Z_OK,
      "zlib cannot initialise deflate");
  std::string out;
  char buf[kChunk];
  auto next = reinterpret_cast<const Bytef*>(bytes.data());
  size_t left = bytes.size();
  int code = Z_OK;
  do {
    if (z.avail_in == 0 && left > 0) {
      z.next_in = const_cast<Bytef*>(next);
      z.avail_in = piece(left);
      next += z.avail_in;
      left -= z.avail_in;
    }
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    code = deflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH);
    LETHE_ENSURE(code != Z_STREAM_ERROR, "zlib deflate failed");
    out.append(buf, sizeof buf - z.avail_out);
  } while (code != Z_STREAM_END);
  deflateEnd(&z);
  return out;
}

}  // namespace lethe
