#pragma once
// Fixtures shared by the unlearn tests: a finished federated run of the tiny CLIP on a few
// procedural shapes (with update history), loaded the way session.cpp loads a run, and the
// UnlearnInputs of one request over it. Keep this file additive: several test files use it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "lethe/core/fs.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/experiment/experiment.h"
#include "lethe/experiment/federated.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/text.h"
#include "lethe/unlearn/forget_set.h"
#include "lethe/unlearn/request.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn::testing {

// A fresh, empty folder per test under LETHE_TEST_TMP (set by CTest) or the system temp dir.
inline std::filesystem::path temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const char* root = std::getenv("LETHE_TEST_TMP");
  std::filesystem::path dir =
      root ? std::filesystem::path(root) : std::filesystem::temp_directory_path();
  dir /= std::string("unlearn_") + info->test_suite_name() + "_" + info->name() + "_" +
         std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// 4 iid clients over 240 shapes (about 54 training and 6 validation units each), 16-pixel
// images, the tiny preset, 2 rounds of 2 local epochs, full history and rank-4 sketches.
inline const char* kTinyFederatedToml =
    "[run]\nname = \"tiny\"\nmode = \"federated\"\nthreads = 1\nprecision = \"fp32\"\n"
    "[data]\nname = \"shapes\"\nimage_size = 16\nshapes_train = 240\nshapes_test = 32\n"
    "[model]\npreset = \"tiny\"\n"
    "[train]\nbatch_size = 16\nnum_merges = 50\n[eval]\ntrain_units = 32\n"
    "[fl]\nclients = 4\npartition = \"iid\"\nmin_units_per_client = 4\nrounds = 2\n"
    "local_epochs = 2\nhistory_every = 1\nsketch_max_rank = 4\n";

// A trained run and everything UnlearnInputs refers to, loaded back from its folder.
struct TinyRun {
  std::string run_dir;
  experiment::ExperimentConfig cfg;
  Context ctx;
  data::Dataset ds;
  torch::Tensor tokens;
  models::ClipConfig model_cfg;
  experiment::ClientData clients;
  TensorMap original;  // θ^T: trainable parameters
};

// Trains kTinyFederatedToml (plus key=value overrides) into `run_dir` and loads it back.
inline TinyRun train_tiny_run(const std::string& run_dir,
                              const std::vector<std::string>& overrides = {}) {
  const auto cfg = experiment::parse_experiment(kTinyFederatedToml, "tiny.toml", overrides);
  experiment::run_experiment(cfg, run_dir);
  TinyRun run;
  run.run_dir = run_dir;
  run.cfg = cfg;
  run.ctx = Context(cfg.run.context);
  auto ck = train::load_checkpoint(run_dir + "/checkpoints/final.safetensors");
  run.ds = data::load(cfg.data);
  run.tokens = train::encode_text(run.ds, tokenize::BpeTokenizer::from_merges_text(ck.merges),
                                  ck.model.context_length)
                   .tokens;
  run.model_cfg = ck.model;
  run.clients = experiment::client_data(cfg, run.ds, run_dir);
  auto model = train::model_from_checkpoint(ck);
  run.original = experiment::trainable_parameters(model);
  return run;
}

// One run per test binary, trained on first use (tests that only read it share it).
inline const TinyRun& shared_tiny_run() {
  static const TinyRun run = [] {
    const char* root = std::getenv("LETHE_TEST_TMP");
    std::filesystem::path dir =
        root ? std::filesystem::path(root) : std::filesystem::temp_directory_path();
    dir /= "unlearn_shared_tiny_run_" + std::to_string(::getpid());
    std::filesystem::remove_all(dir);
    return train_tiny_run(dir.string());
  }();
  return run;
}

inline ForgetSet forget_set_of(const TinyRun& run, const std::string& request) {
  return make_forget_set(parse_request(request), run.ds, run.clients, run.ctx.seed());
}

// The inputs of one method call; `run`, `forget` and `ucfg` must outlive the result.
inline UnlearnInputs inputs_of(const TinyRun& run, const ForgetSet& forget,
                               const UnlearnConfig& ucfg, const std::string& work_dir) {
  return UnlearnInputs{run.cfg,      run.ctx,   run.ds,      run.tokens, run.clients, forget,
                       run.original, run.model_cfg, ucfg, run.run_dir, work_dir};
}

// One registered method on `run`; its scratch federations go to `work_dir` (a fresh temp
// folder when empty).
inline UnlearnOutput run_method(const std::string& name, const TinyRun& run, const ForgetSet& forget,
                                const UnlearnConfig& ucfg, std::string work_dir = "") {
  if (work_dir.empty()) work_dir = temp_dir().string();
  return unlearners().get(name).factory()->run(inputs_of(run, forget, ucfg, work_dir));
}

}  // namespace lethe::unlearn::testing
