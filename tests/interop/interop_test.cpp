// OpenCLIP in and out on tiny models: export, reading back, model specs, pretrained starts and the
// input files of `lethe embed`. (tests/python/test_openclip.py checks the numerics against
// PyTorch and the CLI end to end.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/test_util.h"
#include "data/test_util.h"
#include "lethe/core/fs.h"
#include "lethe/core/safetensors.h"
#include "lethe/eval/embed.h"
#include "lethe/interop/embed_files.h"
#include "lethe/interop/export.h"
#include "lethe/interop/model_source.h"
#include "lethe/interop/openclip_files.h"
#include "lethe/interop/pretrained_start.h"
#include "lethe/models/lora.h"
#include "lethe/models/openclip.h"
#include "lethe/models/openclip_arch.h"
#include "lethe/train/checkpoint.h"

namespace lethe::interop {
namespace {

namespace fs = std::filesystem;
using lethe::testing::expect_input_error;

const std::vector<std::string> kCorpus = {"a red circle", "two blue squares", "a small green triangle"};

// float32 throughout: merged and unmerged adapters must agree to rounding.
Context fp32() {
  ContextConfig c;
  c.precision = "fp32";
  return Context(c);
}

tokenize::BpeTokenizer tokenizer() { return tokenize::BpeTokenizer::train(kCorpus, 12); }

models::ClipConfig tiny(int64_t lora_rank = 0) {
  models::ClipConfig c;
  c.preset = "tiny";
  c.vocab_size = tokenizer().vocab_size();
  c.lora_rank = lora_rank;
  c.lora_targets = {"attn", "mlp"};
  return c.resolved();
}

// A Lethe checkpoint whose adapters are not zero (so merging them changes the weights).
std::string write_checkpoint(const fs::path& dir, int64_t lora_rank, const std::string& name = "final") {
  auto model = train::make_model(tiny(lora_rank), 3);
  {
    torch::NoGradGuard ng;
    for (auto& p : model->named_parameters())
      if (models::is_lora_param(p.key())) p.value().normal_(0.0, 0.2);
  }
  const auto path = (dir / (name + ".safetensors")).string();
  train::save_checkpoint(path, state_dict(*model), model->config(), tokenizer());
  return path;
}

torch::Tensor images(int64_t n) {
  torch::manual_seed(9);
  return torch::randint(0, 256, {n, 3, 16, 16}, torch::kUInt8);
}

torch::Tensor embed_pixels(models::Clip& m, const torch::Tensor& px) {
  return eval::embed_images(m, px, fp32());
}

TEST(Export, AnOpenClipFolderWithTheAdaptersMergedEmbedsLikeTheRun) {
  const auto dir = lethe::testing::test_temp_dir("interop");
  const auto ck = train::load_checkpoint(write_checkpoint(dir, 2));
  export_openclip(ck, (dir / "export").string());
  for (const char* f : {kOpenClipWeightsFile, kOpenClipConfigFile, kExportMergesFile})
    EXPECT_TRUE(fs::is_regular_file(dir / "export" / f)) << f;
  // Plain OpenCLIP tensors: no adapter factors.
  const auto w = read_safetensors((dir / "export" / kOpenClipWeightsFile).string()).tensors;
  for (const auto& [name, t] : w) EXPECT_FALSE(models::is_lora_param(name)) << name;

  auto loaded = load_model({"openclip:" + (dir / "export").string()});
  auto run = train::model_from_checkpoint(ck);
  const auto px = images(4);
  EXPECT_TRUE(torch::allclose(embed_pixels(loaded.model, px), embed_pixels(run, px), 1e-5, 1e-5));
  ASSERT_TRUE(loaded.tokenizer.has_value());  // bpe_merges.txt.gz found beside the weights
  EXPECT_EQ(loaded.tokenizer->vocab_size(), ck.model.vocab_size);
  const auto tokens = loaded.tokenizer->encode_batch({"a red circle"}, ck.model.context_length);
  EXPECT_TRUE(torch::equal(tokens, tokenizer().encode_batch({"a red circle"}, ck.model.context_length)));
  EXPECT_TRUE(torch::allclose(eval::embed_texts(loaded.model, tokens, fp32()),
                              eval::embed_texts(run, tokens, fp32()), 1e-5, 1e-5));
}

TEST(Export, NeverWritesIntoAFolderThatHoldsSomething) {
  const auto dir = lethe::testing::test_temp_dir("interop");
  const auto ck = train::load_checkpoint(write_checkpoint(dir, 0));
  fs::create_directories(dir / "busy");
  std::ofstream(dir / "busy" / "keep.txt") << "mine";
  expect_input_error([&] { export_openclip(ck, (dir / "busy").string()); },
                     {"--out", "busy", "already exists and is not an empty folder"});
  EXPECT_EQ(read_file((dir / "busy" / "keep.txt").string()), "mine");
  fs::create_directories(dir / "empty");
  export_openclip(ck, (dir / "empty").string());  // an empty folder is fine
  EXPECT_TRUE(fs::is_regular_file(dir / "empty" / kOpenClipWeightsFile));
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos);
}

TEST(Export, TheSourceIsTheRunsFinalModelOrTheModelOfAMethod) {
  const auto dir = lethe::testing::test_temp_dir("interop");
  fs::create_directories(dir / "run" / "checkpoints");
  write_checkpoint(dir / "run" / "checkpoints", 0);
  EXPECT_EQ(export_source((dir / "run").string(), ""), (dir / "run" / "checkpoints" / "final.safetensors").string());
  expect_input_error([&] { export_source((dir / "run").string(), "ease"); },
                     {"no audit ran method 'ease'", "audits: none"});
  const auto audit = dir / "run" / "unlearn" / "client-0";
  fs::create_directories(audit);
  std::ofstream(audit / "audit.json") << "{}";
  write_checkpoint(audit, 0, "ease");
  write_checkpoint(audit, 0, "finetune");
  EXPECT_EQ(export_source((dir / "run").string(), "ease"), (audit / "ease.safetensors").string());
  EXPECT_EQ(export_source(audit.string(), "finetune"), (audit / "finetune.safetensors").string());
  expect_input_error([&] { export_source(audit.string(), ""); }, {"audit folder", "--method", "ease, finetune"});
  expect_input_error([&] { export_source(audit.string(), "eas"); },
                     {"no model of method 'eas'", "did you mean 'ease'"});
  const auto second = dir / "run" / "unlearn" / "client-1";
  fs::create_directories(second);
  std::ofstream(second / "audit.json") << "{}";
  write_checkpoint(second, 0, "ease");
  expect_input_error([&] { export_source((dir / "run").string(), "ease"); }, {"ran in several audits"});
  expect_input_error([&] { export_source((dir / "nothing").string(), ""); }, {"no such folder"});
}

TEST(ModelSource, EachSpecResolvesOrSaysWhatItIs) {
  const auto dir = lethe::testing::test_temp_dir("interop");
  fs::create_directories(dir / "run" / "checkpoints");
  const auto ck = write_checkpoint(dir / "run" / "checkpoints", 0);
  EXPECT_EQ(load_model({(dir / "run").string()}).cfg.vocab_size, tiny().vocab_size);  // a run folder
  EXPECT_TRUE(load_model({ck}).tokenizer.has_value());                              // a checkpoint
  expect_input_error([&] { load_model({ck, "merges.txt"}); }, {"--merges and --openclip-config apply to openclip:"});
  expect_input_error([&] { load_model({(dir / "nope").string()}); }, {"no such file or folder"});
  expect_input_error([&] { load_model({dir.string()}); }, {"neither a finished Lethe run folder"});
  expect_input_error([&] { load_model({"openclip:"}); }, {"no file after 'openclip:'"});
  // OpenCLIP weights named without the prefix: the error says how to name them.
  write_safetensors((dir / "oc.safetensors").string(), state_dict(*train::make_model(tiny(), 1)));
  expect_input_error([&] { load_model({(dir / "oc.safetensors").string()}); },
                     {"is not a Lethe checkpoint", "--model openclip:"});
  // Without merges a model embeds images only.
  write_safetensors((dir / "plain" / kOpenClipWeightsFile).string(), state_dict(*train::make_model(tiny(), 1)));
  std::ofstream(dir / "plain" / kOpenClipConfigFile)
      << nlohmann::json({{"model_cfg", models::openclip_model_cfg(tiny())}}).dump();
  auto m = load_model({"openclip:" + (dir / "plain").string()});
  EXPECT_FALSE(m.tokenizer.has_value());
  expect_input_error([&] { embed(m, {{}, {"a caption"}}, fp32()); }, {"--texts needs a tokenizer", "--merges"});
}

TEST(PretrainedStart, TakesTheWeightsArchitectureAndTheConfigsAdapters) {
  const auto dir = lethe::testing::test_temp_dir("interop");
  const auto weights = (dir / "w.safetensors").string();
  write_safetensors(weights, state_dict(*train::make_model(tiny(), 1)));
  std::ofstream(dir / "m.json") << models::openclip_model_cfg(tiny()).dump();
  tokenizer().save((dir / "vocab.txt").string());  // a name the beside-lookup does not know
  models::ClipConfig user;
  user.init = "openclip:" + weights;
  user.openclip_config = (dir / "m.json").string();
  user.merges = (dir / "vocab.txt").string();
  user.lora_rank = 3;
  const std::string root = dir.string();
  const auto s = pretrained_start(user, 16, root);
  EXPECT_EQ(s.arch.vision_width, 32);
  EXPECT_EQ(s.arch.lora_rank, 3);
  EXPECT_TRUE(s.arch.init.empty());  // the architecture stored in checkpoints names no file
  EXPECT_EQ(s.tokenizer.vocab_size(), tiny().vocab_size);
  auto model = train::make_model(s.arch, 0);
  models::load_openclip(*model, s.weights);

  expect_input_error([&] { pretrained_start(user, 32, root); }, {"'data.image_size' = 32", "takes 16px images"});
  auto deeper = user;
  deeper.text_layers = 4;
  expect_input_error([&] { pretrained_start(deeper, 16, root); }, {"'model.text_layers' = 4 disagrees", "(1, "});
  auto no_merges = user;
  no_merges.merges.clear();
  expect_input_error([&] { pretrained_start(no_merges, 16, root); }, {"needs 'model.merges'"});
  auto bad = user;
  bad.init = weights;
  expect_input_error([&] { pretrained_start(bad, 16, root); }, {"'model.init'", "openclip:PATH"});

  // An OpenCLIP folder under the data root, named through $LETHE_DATA, its files found beside.
  fs::create_directories(dir / "pretrained" / "m");
  export_openclip(train::load_checkpoint(write_checkpoint(dir, 0)), (dir / "pretrained" / "m" / "openclip").string());
  models::ClipConfig folder;
  folder.init = "openclip:$LETHE_DATA/pretrained/m/openclip";
  const auto f = pretrained_start(folder, 16, root);
  EXPECT_EQ(f.tokenizer.vocab_size(), tiny().vocab_size);
  EXPECT_EQ(f.arch.lora_rank, 0);
  EXPECT_EQ(expand_data_root("$LETHE_DATA/x", "/r"), "/r/x");
  EXPECT_EQ(expand_data_root("/abs/$LETHE_DATA", "/r"), "/abs/$LETHE_DATA");
}

TEST(EmbedFiles, InputListsAndCaptionFiles) {
  const auto dir = lethe::testing::test_temp_dir("interop");
  std::ofstream(dir / "list.txt") << "a.png\n\n  \nb.jpg\r\n";
  EXPECT_EQ(read_image_list((dir / "list.txt").string()), (std::vector<std::string>{"a.png", "b.jpg"}));
  std::ofstream(dir / "texts.txt") << "one\r\n\nthree\n";
  EXPECT_EQ(read_caption_lines((dir / "texts.txt").string()), (std::vector<std::string>{"one", "", "three"}));
  std::ofstream(dir / "empty.txt") << "";
  expect_input_error([&] { read_caption_lines((dir / "empty.txt").string()); }, {"empty.txt' is empty"});
  std::ofstream(dir / "blank.txt") << "\n \n";
  expect_input_error([&] { read_image_list((dir / "blank.txt").string()); }, {"names no image"});
}

TEST(EmbedFiles, EmbeddingsAreUnitRowsInInputOrderAndABadImageIsNamed) {
  const auto dir = lethe::testing::test_temp_dir("interop");
  fs::create_directories(dir / "run" / "checkpoints");
  write_checkpoint(dir / "run" / "checkpoints", 2);
  auto m = load_model({(dir / "run").string()});
  lethe::testing::write_solid_png(dir / "a.png", 20, 30, 200, 10, 10);
  lethe::testing::write_solid_png(dir / "b.png", 16, 16, 10, 10, 200);
  const std::string png = read_file((dir / "a.png").string());
  std::ofstream(dir / "bad.png", std::ios::binary) << png.substr(0, png.size() / 2);
  const std::vector<std::string> texts = {"two blue squares", "a red circle", "two blue squares"};
  auto e = embed(m, {{(dir / "a.png").string(), (dir / "b.png").string(), (dir / "a.png").string()}, texts, 1},
                 fp32());
  EXPECT_EQ(e.image.sizes(), (std::vector<int64_t>{3, 32}));
  EXPECT_EQ(e.text.sizes(), (std::vector<int64_t>{3, 32}));
  EXPECT_TRUE(torch::allclose(e.image.norm(2, 1), torch::ones(3), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(e.image[0], e.image[2]));  // input order, batch by batch
  EXPECT_FALSE(torch::allclose(e.image[0], e.image[1]));
  EXPECT_TRUE(torch::allclose(e.text[0], e.text[2]));
  EXPECT_FALSE(torch::allclose(e.text[0], e.text[1]));
  expect_input_error([&] { embed(m, {{(dir / "bad.png").string()}, {}}, fp32()); }, {"bad.png"});
  expect_input_error([&] { embed(m, {{(dir / "missing.png").string()}, {}}, fp32()); },
                     {"image '", "missing.png' does not exist"});
  expect_input_error([&] { embed(m, {}, fp32()); }, {"nothing to embed"});
  write_embeddings((dir / "e.safetensors").string(), e, m.description);
  const auto f = read_safetensors((dir / "e.safetensors").string());
  EXPECT_TRUE(torch::equal(f.tensors.at("image_embeds"), e.image));
  EXPECT_TRUE(torch::equal(f.tensors.at("text_embeds"), e.text));
  EXPECT_EQ(f.metadata.at("lethe.model"), m.description);
}

}  // namespace
}  // namespace lethe::interop
