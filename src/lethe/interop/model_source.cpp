#include "lethe/interop/model_source.h"

#include <filesystem>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/interop/openclip_files.h"
#include "lethe/models/openclip.h"
#include "lethe/train/checkpoint.h"

namespace lethe::interop {

namespace {

namespace fsys = std::filesystem;
constexpr std::string_view kOpenClipPrefix = "openclip:";

LoadedModel load_openclip_files(const ModelSource& s, std::string weights) {
  if (fsys::is_directory(weights)) weights = (fsys::path(weights) / kOpenClipWeightsFile).string();
  auto oc = read_openclip(weights, s.openclip_config);
  LoadedModel m;
  m.cfg = oc.arch;
  m.model = train::make_model(oc.arch, 0);
  models::load_openclip(*m.model, oc.weights);
  const std::string merges = s.merges.empty() ? merges_beside(weights) : s.merges;
  if (!merges.empty()) m.tokenizer = tokenize::BpeTokenizer::for_vocab_size(merges, oc.arch.vocab_size);
  m.description = fmt::format("OpenCLIP '{}' (architecture {})", weights, oc.arch_source);
  return m;
}

LoadedModel load_lethe_checkpoint(const ModelSource& s, const std::string& path) {
  LETHE_CHECK(s.merges.empty() && s.openclip_config.empty(),
              "--merges and --openclip-config apply to openclip: models; '{}' is a Lethe model, which "
              "carries its own tokenizer and architecture",
              s.spec);
  const auto ck = train::load_checkpoint(path);
  LoadedModel m;
  m.cfg = ck.model;
  m.model = train::model_from_checkpoint(ck);
  m.tokenizer = tokenize::BpeTokenizer::from_merges_text(ck.merges, path + " merges");
  m.description = fmt::format("Lethe checkpoint '{}'", path);
  return m;
}

}  // namespace

LoadedModel load_model(const ModelSource& s) {
  LETHE_CHECK(!s.spec.empty(), "--model is empty: give a Lethe checkpoint, a run folder or openclip:FILE");
  if (s.spec.starts_with(kOpenClipPrefix)) {
    const std::string weights = s.spec.substr(kOpenClipPrefix.size());
    LETHE_CHECK(!weights.empty(), "--model {}: no file after 'openclip:'", s.spec);
    return load_openclip_files(s, weights);
  }
  LETHE_CHECK(fsys::exists(s.spec), "--model {}: no such file or folder", s.spec);
  if (fsys::is_directory(s.spec)) {
    const auto final_ck = (fsys::path(s.spec) / "checkpoints" / "final.safetensors").string();
    if (file_exists(final_ck)) return load_lethe_checkpoint(s, final_ck);
    if (file_exists((fsys::path(s.spec) / kOpenClipWeightsFile).string())) return load_openclip_files(s, s.spec);
    throw InputError(fmt::format(
        "--model {}: neither a finished Lethe run folder (checkpoints/final.safetensors) nor an "
        "OpenCLIP folder ({})",
        s.spec, kOpenClipWeightsFile));
  }
  try {
    return load_lethe_checkpoint(s, s.spec);
  } catch (const InputError& e) {
    // OpenCLIP weights given without the prefix: say how to name them.
    const std::string why = e.what();
    if (why.find("is not a Lethe checkpoint") != std::string::npos)
      throw InputError(why + "; for OpenCLIP weights write --model openclip:" + s.spec);
    throw;
  }
}

}  // namespace lethe::interop
