// Throughput of one small-CLIP contrastive training step (forward + backward + AdamW) in fp32
// and bf16, next to the matmul peak of each dtype measured in the same run, with the step split
// into forward, backward and optimiser time.
#include <iostream>

#include "lethe/bench/machine.h"
#include "lethe/bench/suites.h"
#include "lethe/core/fs.h"
#include "lethe/models/flops.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/loop.h"

namespace lethe::bench {
namespace {

struct TrainStepOptions {
  std::string preset = "small";
  int64_t batch = 256, steps = 10, vocab = 2514, text_tokens = 12;
  template <class V> void visit(V& v) {
    v("preset", preset, "model preset");
    v("batch", batch, "batch size").min(2);
    v("steps", steps, "timed steps").min(1);
    v("vocab", vocab, "vocabulary size").min(16);
    v("text_tokens", text_tokens, "non-pad tokens per caption").min(3);
  }
};

}  // namespace

nlohmann::json train_step_suite(const SuiteArgs& args) {
  auto doc = config::Document::from_string("", "bench train_step");
  doc.apply_overrides(args.overrides);
  TrainStepOptions o;
  doc.read(o);
  doc.finish();

  nlohmann::json out;
  out["suite"] = "train_step";
  nlohmann::json rows = nlohmann::json::array();
  for (std::string precision : {"fp32", "bf16"}) {
    ContextConfig cc;
    cc.precision = precision;
    Context ctx(cc);
    if (!out.contains("machine")) out["machine"] = machine_info(ctx);
    models::ClipConfig mc;
    mc.preset = o.preset;
    mc = mc.resolved();
    mc.vocab_size = o.vocab;
    auto model = train::make_model(mc, 0);
    train::TrainConfig tc;
    auto opt = train::make_optimizer(model, tc);
    const int64_t b = o.batch, s = mc.image_size, l = mc.context_length;
    train::Batch batch;
    batch.images = torch::randn({b, 3, s, s});
    batch.tokens = torch::zeros({b, l}, torch::kLong);
    batch.tokens.slice(1, 0, o.text_tokens - 1).random_(1, o.vocab - 2);
    batch.tokens.select(1, o.text_tokens - 1).fill_(o.vocab - 1);  // <end_of_text>
    batch.groups = torch::arange(b, torch::kLong);
    model->train();
    double step_s = time_median([&] { train::train_step(model, *opt, batch, tc, ctx); },
                                static_cast<int>(o.steps), 2);
    const double forward_s = time_median(
        [&] {
          opt->zero_grad();
          auto loss = train::batch_loss(model, batch, ctx);
        },
        static_cast<int>(o.steps), 1);
    const double forward_backward_s = time_median(
        [&] {
          opt->zero_grad();
          train::batch_loss(model, batch, ctx).backward();
        },
        static_cast<int>(o.steps), 1);
    const double flops = 3.0 * b * (models::clip_forward_flops_image(mc) +
                                    models::clip_forward_flops_text(mc, l));
    const double peak = matmul_peak_gflops(precision == "bf16" ? torch::kBFloat16 : torch::kFloat);
    nlohmann::json r = {{"precision", precision},
                        {"step_s", step_s},
                        {"samples_per_s", b / step_s},
                        {"gflops", flops / step_s / 1e9},
                        {"matmul_peak_gflops", peak},
                        {"fraction_of_peak", flops / step_s / 1e9 / peak},
                        {"forward_s", forward_s},
                        {"backward_s", forward_backward_s - forward_s},
                        {"optimizer_and_rest_s", step_s - forward_backward_s}};
    std::cout << fmt::format("train_step {}: {:.1f} samples/s, {:.1f} GFLOP/s = {:.1f}% of the "
                             "{:.0f} GFLOP/s matmul peak\n",
                             precision, b / step_s, flops / step_s / 1e9,
                             100.0 * flops / step_s / 1e9 / peak, peak)
              << fmt::format("  step {:.1f} ms = forward {:.1f} + backward {:.1f} + optimiser and "
                             "the rest {:.1f}\n",
                             1e3 * step_s, 1e3 * forward_s, 1e3 * (forward_backward_s - forward_s),
                             1e3 * (step_s - forward_backward_s));
    rows.push_back(r);
  }
  out["config"] = {{"preset", o.preset}, {"batch", o.batch}, {"steps", o.steps},
                   {"vocab", o.vocab}, {"text_tokens", o.text_tokens},
                   {"flops_rule", "3 x forward matmul FLOPs (forward + backward)"}};
  out["results"] = rows;
  return out;
}

}  // namespace lethe::bench
