// Throughput of one small-CLIP contrastive training step (forward + backward + AdamW) in fp32
// and bf16, next to the matmul peak of each dtype measured in the same run, with the step split
// into forward, backward and optimiser time, and — side by side in the same run — the same step
// written in PyTorch (bench/pytorch_train_step.py: same shapes, batch, optimiser, clipping,
// precision and timing rule) on the same LibTorch.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "lethe/bench/machine.h"
#include "lethe/bench/suites.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/models/flops.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/loop.h"

namespace lethe::bench {
namespace {

struct TrainStepOptions {
  std::string preset = "small";
  int64_t batch = 256, steps = 10, vocab = 2514, text_tokens = 12;
  TwinOptions twin{"bench/pytorch_train_step.py"};
  template <class V> void visit(V& v) {
    v("preset", preset, "model preset");
    v("batch", batch, "batch size").min(2);
    v("steps", steps, "timed steps").min(1);
    v("vocab", vocab, "vocabulary size").min(16);
    v("text_tokens", text_tokens, "non-pad tokens per caption").min(3);
    twin.visit(v);
  }
};

// Runs the PyTorch twin and returns its JSON line.
nlohmann::json run_pytorch(const TrainStepOptions& o, const std::string& precision, int threads) {
  return o.twin.run(fmt::format("--precision {} --batch {} --steps {} --warmup 2 --vocab {} --text-tokens {} "
                                "--threads {}",
                                precision, o.batch, o.steps, o.vocab, o.text_tokens, threads),
                    "train_step");
}

}  // namespace

nlohmann::json train_step_suite(const SuiteArgs& args) {
  const auto o = read_suite_options<TrainStepOptions>(args, "train_step");

  nlohmann::json out;
  out["suite"] = "train_step";
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& precision : o.twin.precision_list()) {
    ContextConfig cc;
    cc.precision = precision;
    cc.threads = static_cast<int>(o.twin.threads);
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
    std::vector<train::StepTimes> phases;
    double step_s = time_median(
        [&] {
          phases.emplace_back();
          train::train_step(model, *opt, batch, tc, ctx, {}, &phases.back());
        },
        static_cast<int>(o.steps), 2);
    phases.erase(phases.begin(), phases.begin() + 2);  // the warm-up steps
    auto phase_median = [&](double train::StepTimes::*field) {
      std::vector<double> v;
      for (const auto& p : phases) v.push_back(p.*field);
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const double forward_s = phase_median(&train::StepTimes::forward_s);
    const double backward_s = phase_median(&train::StepTimes::backward_s);
    const double update_s = phase_median(&train::StepTimes::update_s);
    const double flops = 3.0 * b * (models::clip_forward_flops_image(mc) +
                                    models::clip_forward_flops_text(mc, l));
    const double peak = matmul_peak_gflops(precision == "bf16" ? torch::kBFloat16 : torch::kFloat);
    int64_t parameters = 0;
    for (const auto& p : model->parameters()) parameters += p.numel();
    nlohmann::json r = {{"precision", precision},
                        {"parameters", parameters},
                        {"step_s", step_s},
                        {"samples_per_s", b / step_s},
                        {"gflops", flops / step_s / 1e9},
                        {"matmul_peak_gflops", peak},
                        {"fraction_of_peak", flops / step_s / 1e9 / peak},
                        {"forward_s", forward_s},
                        {"backward_s", backward_s},
                        {"update_s", update_s}};
    std::cout << fmt::format("train_step {}: {:.1f} samples/s, {:.1f} GFLOP/s = {:.1f}% of the "
                             "{:.0f} GFLOP/s matmul peak\n",
                             precision, b / step_s, flops / step_s / 1e9,
                             100.0 * flops / step_s / 1e9 / peak, peak)
              << fmt::format("  step {:.1f} ms; medians of its phases: forward {:.1f}, backward "
                             "{:.1f}, clipping + AdamW {:.1f}\n",
                             1e3 * step_s, 1e3 * forward_s, 1e3 * backward_s, 1e3 * update_s);
    if (o.twin.pytorch) {
      const auto py = run_pytorch(o, precision, ctx.threads());
      const double py_s = py.at("step_s").get<double>();
      r["pytorch"] = py;
      r["speedup_vs_pytorch"] = py_s / step_s;
      std::cout << fmt::format("  PyTorch {} (same LibTorch, same step): {:.1f} samples/s; Lethe "
                               "is {:.2f}x\n",
                               py.value("torch", "?"), b / py_s, py_s / step_s);
    }
    rows.push_back(r);
  }
  out["config"] = {{"preset", o.preset}, {"batch", o.batch}, {"steps", o.steps},
                   {"pytorch", o.twin.pytorch}, {"pytorch_script", o.twin.pytorch_script},
                   {"threads", o.twin.threads},
                   {"vocab", o.vocab}, {"text_tokens", o.text_tokens},
                   {"flops_rule", "3 x forward matmul FLOPs (forward + backward)"}};
  out["results"] = rows;
  return out;
}

}  // namespace lethe::bench
