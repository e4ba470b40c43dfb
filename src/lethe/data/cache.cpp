#include "lethe/data/cache.h"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/safetensors.h"

namespace lethe::data {

namespace {
std::atomic<int64_t> g_hits{0}, g_builds{0}, g_rejected{0};

// The cached tensor if `path` holds exactly the expected images; otherwise why not.
torch::Tensor read_cached(const std::string& path, int64_t n, int64_t size, std::string* why) {
  SafetensorsFile file;
  try {
    file = read_safetensors(path);
  } catch (const Error& e) {
    *why = e.what();
    return {};
  }
  auto it = file.tensors.find("images");
  if (it == file.tensors.end()) {
    *why = "no 'images' tensor";
    return {};
  }
  const auto& t = it->second;
  const std::vector<int64_t> want = {n, 3, size, size};
  if (t.scalar_type() != torch::kUInt8 || t.sizes().vec() != want) {
    *why = fmt::format("'images' is {} {}, expected Byte {}", c10::toString(t.scalar_type()),
                       fmt::join(t.sizes(), "x"), fmt::join(want, "x"));
    return {};
  }
  return t;
}
}  // namespace

std::string file_fingerprint(const std::string& path) {
  struct stat st {};
  LETHE_CHECK(::stat(path.c_str(), &st) == 0, "cannot read file '{}': {}", path,
              std::strerror(errno));
  const int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return fmt::format("{} {} {}", path, static_cast<int64_t>(st.st_size), mtime_ns);
}

std::string image_cache_key(const std::vector<std::string>& parts) {
  std::string material = fmt::format("lethe image cache format {}\n", kImageCacheFormat);
  for (const auto& p : parts) material.append(p).push_back('\n');
  return sha256_hex(material);
}

std::string image_cache_path(const DataConfig& cfg, const std::string& key) {
  return data_root(cfg) + "/cache/" + key + ".safetensors";
}

ImageCacheStats image_cache_stats() { return {g_hits.load(), g_builds.load(), g_rejected.load()}; }

torch::Tensor cached_images(const DataConfig& cfg, const std::string& key, int64_t n,
                            const std::function<torch::Tensor()>& build) {
  const std::string path = image_cache_path(cfg, key);
  if (cfg.cache && file_exists(path)) {
    std::string why;
    auto images = read_cached(path, n, cfg.image_size, &why);
    if (images.defined()) {
      ++g_hits;
      log::debug("{}: {} images from cache {}", cfg.name, n, path);
      return images;
    }
    ++g_rejected;
    log::warn("{}: ignoring bad image cache {} ({}); decoding again", cfg.name, path, why);
  }
  ++g_builds;
  auto images = build();
  LETHE_ASSERT(images.scalar_type() == torch::kUInt8 &&
               images.sizes().vec() == std::vector<int64_t>({n, 3, cfg.image_size, cfg.image_size}));
  if (cfg.cache) {
    try {
      write_safetensors(path, {{"images", images}},
                        {{"dataset", cfg.name}, {"format", std::to_string(kImageCacheFormat)}});
      log::debug("{}: wrote image cache {}", cfg.name, path);
    } catch (const Error& e) {
      log::warn("{}: cannot write image cache ({}); continuing without it", cfg.name, e.what());
    }
  }
  return images;
}

}  // namespace lethe::data
