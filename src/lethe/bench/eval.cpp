// Retrieval evaluation at scale: R@1/5/10 in both directions for an N-image × N-caption gallery
// of D-dimensional embeddings (one caption per image), timed, with the extra resident memory
// the chunked similarity + rank computation needs (never the dense N×N matrix).
#include <iostream>

#include "lethe/bench/machine.h"
#include "lethe/bench/suites.h"
#include "lethe/eval/retrieval.h"

namespace lethe::bench {
namespace {

struct EvalBenchOptions {
  int64_t gallery = 20000, dim = 128, chunk = 2048, reps = 3;
  double noise = 2.5;  // caption = image + noise·N(0, I): R@1 well between chance and 100 %
  template <class V> void visit(V& v) {
    v("gallery", gallery, "images (and captions) in the gallery").min(10);
    v("dim", dim, "embedding size").min(2);
    v("chunk", chunk, "queries per similarity chunk").min(1);
    v("reps", reps, "timed repetitions (median)").min(1);
    v("noise", noise, "caption = image + noise x N(0, I)").min(0.0);
  }
};

}  // namespace

nlohmann::json eval_suite(const SuiteArgs& args) {
  const auto o = read_suite_options<EvalBenchOptions>(args, "eval");

  Context ctx{ContextConfig{}};
  auto gen = torch::make_generator<at::CPUGeneratorImpl>(0);
  auto img = torch::randn({o.gallery, o.dim}, gen);
  auto txt = img + o.noise * torch::randn({o.gallery, o.dim}, gen);
  std::vector<std::pair<int64_t, int64_t>> positives;
  positives.reserve(o.gallery);
  for (int64_t i = 0; i < o.gallery; ++i) positives.emplace_back(i, i);

  const double rss_before = rss_mib();
  reset_peak_rss();
  eval::RecallBlock block;
  const double s = time_median([&] { block = eval::retrieval_recall(img, txt, positives, o.chunk); },
                               static_cast<int>(o.reps), 1);
  const double extra = peak_rss_mib() - rss_before;
  const double dense_mib = double(o.gallery) * double(o.gallery) * 4.0 / (1024.0 * 1024.0);
  std::cout << fmt::format("eval: {} x {} gallery at D = {}: {:.2f} s for R@1/5/10 both ways "
                           "(R@1 {:.2f}), peak memory +{:.0f} MiB (a dense similarity matrix: "
                           "{:.0f} MiB)\n",
                           o.gallery, o.gallery, o.dim, s, block.r1, extra, dense_mib);
  return {{"suite", "eval"},
          {"machine", machine_info(ctx)},
          {"config", {{"gallery", o.gallery}, {"dim", o.dim}, {"chunk", o.chunk}, {"reps", o.reps},
                      {"noise", o.noise}}},
          {"results",
           {{{"seconds", s},
             {"recall", block.to_json()},
             {"peak_extra_rss_mib", extra},
             {"dense_similarity_mib", dense_mib}}}}};
}

}  // namespace lethe::bench
