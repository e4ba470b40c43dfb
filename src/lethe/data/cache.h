#pragma once
// Decoded images of a dataset kept as <data root>/cache/<key>.safetensors, so that a second
// load reads one file instead of decoding thousands of PNGs. The key hashes everything the
// pixels depend on: dataset, image size, each source file's path, size and mtime, and
// kImageCacheFormat. Stale files are never reused (any input change gives a new key); old
// files stay until the user deletes the cache folder.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lethe/data/dataset.h"

namespace lethe::data {

// Bump whenever decoding or preprocessing changes the pixels.
constexpr int kImageCacheFormat = 1;

// "path size mtime_ns" of a file; InputError naming the file if it cannot be stat'ed.
std::string file_fingerprint(const std::string& path);

// SHA-256 hex of the key parts (and kImageCacheFormat).
std::string image_cache_key(const std::vector<std::string>& parts);
std::string image_cache_path(const DataConfig& cfg, const std::string& key);

// Process-wide counters, so tests and logs can tell a cache hit from a decode.
struct ImageCacheStats {
  int64_t hits = 0;      // loads served from a cache file
  int64_t builds = 0;    // loads that ran `build` (no file, cache off, or a bad file)
  int64_t rejected = 0;  // cache files that were unreadable or held the wrong shape
};
ImageCacheStats image_cache_stats();

// The (n,3,S,S) uint8 images (S = cfg.image_size) for `key`: read from the cache file when
// cfg.cache is on and a valid file exists, else produced by `build` and, with cfg.cache, written
// for next time. A corrupt or mismatched file is reported with a warning and rebuilt; a cache
// that cannot be written is a warning, not an error.
torch::Tensor cached_images(const DataConfig& cfg, const std::string& key, int64_t n,
                            const std::function<torch::Tensor()>& build);

}  // namespace lethe::data
