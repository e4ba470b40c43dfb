#include "lethe/train/checkpoint.h"

#include "lethe/core/config.h"
#include "lethe/core/error.h"
#include "lethe/core/safetensors.h"
#include "lethe/version.h"

namespace lethe::train {

namespace {
constexpr const char* kModelKey = "lethe.model";
constexpr const char* kMergesKey = "lethe.merges";
}  // namespace

void save_checkpoint(const std::string& path, const TensorMap& weights,
                     const models::ClipConfig& model, const tokenize::BpeTokenizer& tokenizer,
                     std::map<std::string, std::string> extra) {
  auto m = model;
  extra[kModelKey] = config::to_toml(m);
  extra[kMergesKey] = tokenizer.to_merges_text();
  extra["lethe.version"] = kVersion;
  write_safetensors(path, weights, extra);
}

Checkpoint load_checkpoint(const std::string& path) {
  auto f = read_safetensors(path);
  Checkpoint ck;
  ck.weights = std::move(f.tensors);
  ck.metadata = std::move(f.metadata);
  auto model = ck.metadata.find(kModelKey);
  auto merges = ck.metadata.find(kMergesKey);
  LETHE_CHECK(model != ck.metadata.end() && merges != ck.metadata.end(),
              "checkpoint '{}' is not a Lethe checkpoint (no '{}' / '{}' metadata)", path,
              kModelKey, kMergesKey);
  auto doc = config::Document::from_string(model->second, path + " [" + kModelKey + "]");
  doc.read(ck.model);
  doc.finish();
  ck.merges = merges->second;
  return ck;
}

models::Clip make_model(const models::ClipConfig& resolved, uint64_t seed) {
  torch::manual_seed(seed);
  return models::Clip(resolved);
}

models::Clip model_from_checkpoint(const Checkpoint& ck) {
  auto model = make_model(ck.model, 0);
  load_state_dict(*model, ck.weights);
  return model;
}

}  // namespace lethe::train
