// Throughput of CLIP embedding — `lethe embed`'s forward — for ViT-B-32 by default: images/s of
// the image tower on preprocessed 224-px batches and captions/s of the text tower on 77-token
// rows (uint8 pixels / token ids in, unit-norm float embeddings out), in fp32 and, where the CPU
// has it natively, bf16; next to the matmul peak and, in the same run, the same forward in
// PyTorch (bench/pytorch_embed.py on the OpenCLIP-layout reference model of tests/reference/).
#include <iostream>

#include "lethe/bench/machine.h"
#include "lethe/bench/suites.h"
#include "lethe/core/error.h"
#include "lethe/eval/embed.h"
#include "lethe/models/flops.h"
#include "lethe/train/checkpoint.h"

namespace lethe::bench {
namespace {

struct EmbedOptions {
  std::string preset = "ViT-B-32";
  int64_t image_batch = 32, text_batch = 256, steps = 5, text_tokens = 12;
  TwinOptions twin{"bench/pytorch_embed.py"};
  template <class V> void visit(V& v) {
    v("preset", preset, "model preset (its vocabulary: ViT-B-32's is 49,408)");
    v("image_batch", image_batch, "images per timed batch").min(1);
    v("text_batch", text_batch, "captions per timed batch").min(1);
    v("steps", steps, "timed batches (median)").min(1);
    v("text_tokens", text_tokens, "non-pad tokens per caption").min(3);
    twin.visit(v);
  }
};

}  // namespace

nlohmann::json embed_suite(const SuiteArgs& args) {
  const auto o = read_suite_options<EmbedOptions>(args, "embed");
  models::ClipConfig mc;
  mc.preset = o.preset;
  mc = mc.resolved();
  if (mc.vocab_size == 0) mc.vocab_size = 49408;  // small presets take it from a tokenizer
  auto model = train::make_model(mc, 0);
  const int64_t s = mc.image_size, l = mc.context_length;
  torch::manual_seed(1);
  const auto pixels = torch::randint(0, 256, {o.image_batch, 3, s, s}, torch::kUInt8);
  auto tokens = torch::zeros({o.text_batch, l}, torch::kLong);
  tokens.slice(1, 1, o.text_tokens - 1).random_(1, mc.vocab_size - 2);
  tokens.select(1, 0).fill_(mc.vocab_size - 2);                   // <start_of_text>
  tokens.select(1, o.text_tokens - 1).fill_(mc.vocab_size - 1);   // <end_of_text>
  const double image_flops = models::clip_forward_flops_image(mc);
  const double text_flops = models::clip_forward_flops_text(mc, l);  // every row is encoded whole
  int64_t parameters = 0;
  for (const auto& p : model->parameters()) parameters += p.numel();

  nlohmann::json out = {{"suite", "embed"}};
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& precision : o.twin.precision_list()) {
    ContextConfig cc;
    cc.precision = precision;
    cc.threads = static_cast<int>(o.twin.threads);
    const Context ctx(cc);
    if (!out.contains("machine")) out["machine"] = machine_info(ctx);
    const double image_s = time_median([&] { eval::embed_images(model, pixels, ctx, o.image_batch); },
                                       static_cast<int>(o.steps), 1);
    const double text_s = time_median([&] { eval::embed_texts(model, tokens, ctx, o.text_batch); },
                                      static_cast<int>(o.steps), 1);
    const double peak = matmul_peak_gflops(precision == "bf16" ? torch::kBFloat16 : torch::kFloat);
    nlohmann::json r = {{"precision", precision},
                        {"images_per_s", o.image_batch / image_s},
                        {"texts_per_s", o.text_batch / text_s},
                        {"image_gflops", o.image_batch * image_flops / image_s / 1e9},
                        {"text_gflops", o.text_batch * text_flops / text_s / 1e9},
                        {"matmul_peak_gflops", peak}};
    std::cout << fmt::format("embed {} {}: {:.1f} images/s ({:.0f} GFLOP/s), {:.1f} captions/s "
                             "({:.0f} GFLOP/s); matmul peak {:.0f} GFLOP/s\n",
                             o.preset, precision, r["images_per_s"].get<double>(),
                             r["image_gflops"].get<double>(), r["texts_per_s"].get<double>(),
                             r["text_gflops"].get<double>(), peak);
    if (o.twin.pytorch) {
      const auto py = o.twin.run(
          fmt::format("--preset {} --precision {} --image-batch {} --text-batch {} --steps {} "
                      "--text-tokens {} --threads {}",
                      o.preset, precision, o.image_batch, o.text_batch, o.steps, o.text_tokens, ctx.threads()),
          "embed");
      r["pytorch"] = py;
      r["image_speedup_vs_pytorch"] = r["images_per_s"].get<double>() / py.at("images_per_s").get<double>();
      r["text_speedup_vs_pytorch"] = r["texts_per_s"].get<double>() / py.at("texts_per_s").get<double>();
      std::cout << fmt::format("  PyTorch {} (same LibTorch, OpenCLIP layout): {:.1f} images/s, {:.1f} "
                               "captions/s; Lethe is {:.2f}x / {:.2f}x\n",
                               py.value("torch", "?"), py.at("images_per_s").get<double>(),
                               py.at("texts_per_s").get<double>(),
                               r["image_speedup_vs_pytorch"].get<double>(),
                               r["text_speedup_vs_pytorch"].get<double>());
    }
    rows.push_back(r);
  }
  out["config"] = {{"preset", o.preset},         {"parameters", parameters},
                   {"image_batch", o.image_batch}, {"text_batch", o.text_batch},
                   {"steps", o.steps},           {"text_tokens", o.text_tokens},
                   {"threads", o.twin.threads},  {"pytorch", o.twin.pytorch},
                   {"timing", "median of `steps` batches after one untimed batch"}};
  out["results"] = rows;
  return out;
}

}  // namespace lethe::bench
