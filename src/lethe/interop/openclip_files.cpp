#include "lethe/interop/openclip_files.h"

#include <cmath>
#include <filesystem>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/safetensors.h"
#include "lethe/data/image.h"
#include "lethe/models/openclip_arch.h"

namespace lethe::interop {

namespace {

namespace fsys = std::filesystem;
using nlohmann::json;

std::string beside(const std::string& path, const char* name) {
  return (fsys::path(path).parent_path() / name).string();
}

// A hub file's preprocess_cfg: only the preprocessing data/image.h implements.
void check_preprocess(const json& p, const models::ClipConfig& arch, const std::string& source) {
  if (p.is_null()) return;
  auto fail = [&](const std::string& key, const json& v, const std::string& what) {
    throw InputError(fmt::format("OpenCLIP config '{}': 'preprocess_cfg.{}' = {} asks for {}; Lethe "
                                 "implements OpenAI's mean/std, bicubic shortest-side resize and a "
                                 "centre crop",
                                 source, key, v.dump(), what));
  };
  for (const auto& [key, v] : p.items()) {
    if (key == "mean" || key == "std") {
      const double* want = key == "mean" ? data::kClipMean : data::kClipStd;
      bool same = v.is_array() && v.size() == 3;
      for (size_t c = 0; same && c < 3; ++c)
        same = v[c].is_number() && std::abs(v[c].get<double>() - want[c]) < 1e-6;
      if (!same) fail(key, v, "another normalisation");
    } else if (key == "interpolation") {
      if (v != "bicubic") fail(key, v, "another interpolation");
    } else if (key == "resize_mode") {
      if (v != "shortest") fail(key, v, "another resize mode");
    } else if (key == "size") {
      const bool same = (v.is_number_integer() && v.get<int64_t>() == arch.image_size) ||
                        (v.is_array() && v.size() == 2 && v[0] == arch.image_size && v[1] == arch.image_size);
      if (!same) fail(key, v, fmt::format("images of another size than the model's {}", arch.image_size));
    } else if (key != "fill_color") {  // only used by resize modes Lethe refuses
      fail(key, v, "a preprocessing option Lethe does not know");
    }
  }
}

}  // namespace

OpenClipModel read_openclip(const std::string& weights_path, const std::string& config_path) {
  LETHE_CHECK(file_exists(weights_path), "OpenCLIP weights '{}' do not exist", weights_path);
  OpenClipModel m;
  m.weights = models::normalize_openclip_weights(read_safetensors(weights_path).tensors);
  std::string config = config_path;
  if (config.empty() && file_exists(beside(weights_path, kOpenClipConfigFile)))
    config = beside(weights_path, kOpenClipConfigFile);
  if (config.empty()) {
    m.arch = models::infer_openclip_arch(m.weights, weights_path);
    m.arch_source = fmt::format("inferred from '{}'", weights_path);
  } else {
    auto file = models::parse_openclip_config(read_file(config), config);
    models::check_openclip_arch(file.model, m.weights, config, weights_path);
    check_preprocess(file.preprocess, file.model, config);
    m.arch = file.model;
    m.arch_source = config;
  }
  m.arch = m.arch.resolved();
  return m;
}

std::string merges_beside(const std::string& weights_path) {
  for (const char* name : {"bpe_merges.txt.gz", "bpe_simple_vocab_16e6.txt.gz",
                           "bpe_simple_vocab_16e6.txt", "merges.txt"})
    if (file_exists(beside(weights_path, name))) return beside(weights_path, name);
  return "";
}

}  // namespace lethe::interop
