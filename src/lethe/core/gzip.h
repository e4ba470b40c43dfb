#pragma once
// gzip (RFC 1952) in memory, for files such as OpenCLIP's bpe_simple_vocab_16e6.txt.gz.
#include <cstddef>
#include <string>
#include <string_view>

namespace lethe {

constexpr size_t kMaxGunzipBytes = size_t{1} << 30;  // 1 GiB: far above any merges file

// Decompresses a gzip file's bytes; concatenated members are joined, as gzip -d and Python's
// gzip module do. Corrupt or truncated data, bytes after the last member that are not another
// member, and output above `max_bytes` throw InputError naming `name` (e.g. "merges file 'x'").
std::string gunzip(std::string_view bytes, const std::string& name,
                   size_t max_bytes = kMaxGunzipBytes);

// One gzip member, best compression; deterministic (no file name, modification time 0).
std::string gzip(std::string_view bytes);

// Whether `bytes` starts like a gzip file (magic 1f 8b).
bool is_gzip(std::string_view bytes);

}  // namespace lethe
