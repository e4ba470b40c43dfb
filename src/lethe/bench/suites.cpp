#include "lethe/bench/suites.h"

namespace lethe::bench {

Registry<Suite>& suites() {
  static Registry<Suite> r("benchmark suite");
  return r;
}

void register_builtin_suites() {
  auto& r = suites();
  if (r.contains("train_step")) return;
  r.add("train_step", "samples/s and GFLOP/s of a small-CLIP training step vs the matmul peak",
        train_step_suite);
  r.add("federation", "rounds/s and peak RSS with 10, 100 and 1,000 clients per round (shapes)",
        federation_suite);
  r.add("unlearning",
        "every unlearning method x request type (client, samples, concept) x seeds: R@1, gaps, "
        "AUC, MIA, cost vs retrain",
        unlearning_suite);
}

}  // namespace lethe::bench
