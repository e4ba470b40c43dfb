#include "lethe/interop/export.h"

#include <unistd.h>

#include <filesystem>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/gzip.h"
#include "lethe/core/safetensors.h"
#include "lethe/core/strings.h"
#include "lethe/data/image.h"
#include "lethe/interop/openclip_files.h"
#include "lethe/models/lora.h"
#include "lethe/models/openclip.h"
#include "lethe/models/openclip_arch.h"
#include "lethe/version.h"

namespace lethe::interop {

namespace {

namespace fsys = std::filesystem;

std::vector<std::string> models_in(const fsys::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fsys::directory_iterator(dir, ec))
    if (e.path().extension() == ".safetensors") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::string export_source(const std::string& run_dir, const std::string& method) {
  const fsys::path dir(run_dir);
  LETHE_CHECK(fsys::is_directory(dir), "--run {}: no such folder", run_dir);
  if (file_exists((dir / "audit.json").string())) {  // an audit folder: one model per method
    const auto methods = models_in(dir);
    LETHE_CHECK(!method.empty(), "--run {} is an audit folder: choose a model with --method ({})",
                run_dir, join(methods, ", "));
    const auto path = dir / (method + ".safetensors");
    LETHE_CHECK(file_exists(path.string()), "--run {} has no model of method '{}'{}; it has: {}",
                run_dir, method, did_you_mean(method, methods), join(methods, ", "));
    return path.string();
  }
  const auto final_ck = dir / "checkpoints" / "final.safetensors";
  LETHE_CHECK(file_exists(final_ck.string()),
              "--run {}: neither a finished run folder (checkpoints/final.safetensors) nor an audit "
              "folder (audit.json)",
              run_dir);
  if (method.empty()) return final_ck.string();
  std::vector<std::string> found, requests;
  std::error_code ec;
  for (const auto& e : fsys::directory_iterator(dir / "unlearn", ec)) {
    if (!file_exists((e.path() / "audit.json").string())) continue;  // e.g. retrain caches
    requests.push_back(e.path().filename().string());
    if (file_exists((e.path() / (method + ".safetensors")).string())) found.push_back(e.path().string());
  }
  LETHE_CHECK(!found.empty(), "--run {}: no audit ran method '{}' (audits: {})", run_dir, method,
              requests.empty() ? "none" : join(requests, ", "));
  LETHE_CHECK(found.size() == 1,
              "--run {}: method '{}' ran in several audits ({}); pass the audit folder as --run",
              run_dir, method, join(found, ", "));
  return (fsys::path(found[0]) / (method + ".safetensors")).string();
}

void export_openclip(const train::Checkpoint& ck, const std::string& out_dir) {
  const fsys::path out(out_dir);
  std::error_code ec;
  LETHE_CHECK(!fsys::exists(out) || (fsys::is_directory(out) && fsys::is_empty(out, ec)),
              "--out {} already exists and is not an empty folder", out_dir);
  // The OpenCLIP model: no adapters, their updates folded into the base weights.
  auto arch = ck.model;
  arch.lora_rank = 0;
  const TensorMap weights =
      ck.model.lora_rank == 0 ? ck.weights : models::merge_lora(ck.weights, ck.model.lora_alpha);
  {
    models::Clip probe(arch);  // every tensor an OpenCLIP model of this shape has, and no other
    models::load_openclip(*probe, weights);
  }
  nlohmann::json preprocess = {{"size", arch.image_size},
                               {"mean", std::vector<double>(data::kClipMean, data::kClipMean + 3)},
                               {"std", std::vector<double>(data::kClipStd, data::kClipStd + 3)},
                               {"interpolation", "bicubic"},
                               {"resize_mode", "shortest"}};
  nlohmann::json config = {{"model_cfg", models::openclip_model_cfg(arch)}, {"preprocess_cfg", preprocess}};
  const auto merges = tokenize::BpeTokenizer::from_merges_text(ck.merges).to_merges_text();

  const fsys::path tmp = out.string() + ".tmp." + std::to_string(::getpid());
  fsys::remove_all(tmp, ec);
  make_dirs(tmp.string());
  write_safetensors((tmp / kOpenClipWeightsFile).string(), weights,
                    {{"lethe.version", kVersion}, {"format", "pt"}});
  write_file_atomic((tmp / kOpenClipConfigFile).string(), config.dump(2) + "\n");
  write_file_atomic((tmp / kExportMergesFile).string(), gzip(merges));
  fsys::rename(tmp, out, ec);  // replaces an empty folder
  if (ec) {
    fsys::remove_all(tmp);
    throw Error(fmt::format("cannot move the export into '{}': {}", out_dir, ec.message()));
  }
}

}  // namespace lethe::interop
