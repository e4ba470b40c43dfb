#include "lethe/interop/pretrained_start.h"

#include <filesystem>

#include "lethe/core/error.h"
#include "lethe/interop/openclip_files.h"

namespace lethe::interop {

std::string expand_data_root(const std::string& path, const std::string& data_root) {
  constexpr std::string_view kVar = "$LETHE_DATA";
  return path.starts_with(kVar) ? data_root + path.substr(kVar.size()) : path;
}

PretrainedStart pretrained_start(const models::ClipConfig& model, int64_t image_size,
                                 const std::string& data_root) {
  constexpr std::string_view kPrefix = "openclip:";
  LETHE_CHECK(model.init.starts_with(kPrefix) && model.init.size() > kPrefix.size(),
              "config key 'model.init' = '{}' is not valid: write \"openclip:PATH\" (OpenCLIP "
              "weights in safetensors, or their folder)",
              model.init);
  std::string weights = expand_data_root(model.init.substr(kPrefix.size()), data_root);
  if (std::filesystem::is_directory(weights)) weights += std::string("/") + kOpenClipWeightsFile;
  const std::string merges =
      model.merges.empty() ? merges_beside(weights) : expand_data_root(model.merges, data_root);
  LETHE_CHECK(!merges.empty(),
              "config key 'model.init' needs 'model.merges': CLIP's merges file "
              "(bpe_simple_vocab_16e6.txt or .txt.gz) that the pretrained text tower was trained with");
  auto oc = read_openclip(weights, expand_data_root(model.openclip_config, data_root));
  // Shape keys a user set explicitly must be the weights' (0 = unset).
  const std::pair<int64_t models::ClipConfig::*, const char*> shape_keys[] = {
      {&models::ClipConfig::image_size, "image_size"},     {&models::ClipConfig::patch_size, "patch_size"},
      {&models::ClipConfig::vision_width, "vision_width"}, {&models::ClipConfig::vision_layers, "vision_layers"},
      {&models::ClipConfig::vision_heads, "vision_heads"}, {&models::ClipConfig::text_width, "text_width"},
      {&models::ClipConfig::text_layers, "text_layers"},   {&models::ClipConfig::text_heads, "text_heads"},
      {&models::ClipConfig::context_length, "context_length"}, {&models::ClipConfig::vocab_size, "vocab_size"},
      {&models::ClipConfig::embed_dim, "embed_dim"}};
  for (const auto& [field, key] : shape_keys)
    LETHE_CHECK(model.*field == 0 || model.*field == oc.arch.*field,
                "config key 'model.{}' = {} disagrees with the pretrained model ({}, {})", key,
                model.*field, oc.arch.*field, oc.arch_source);
  LETHE_CHECK(image_size == oc.arch.image_size,
              "config key 'data.image_size' = {} but the pretrained model takes {}px images: set "
              "data.image_size = {}",
              image_size, oc.arch.image_size, oc.arch.image_size);
  PretrainedStart s{oc.arch, std::move(oc.weights),
                    tokenize::BpeTokenizer::for_vocab_size(merges, oc.arch.vocab_size)};
  s.arch.lora_rank = model.lora_rank;
  s.arch.lora_alpha = model.lora_alpha;
  s.arch.lora_targets = model.lora_targets;
  s.arch = s.arch.resolved();
  return s;
}

}  // namespace lethe::interop
