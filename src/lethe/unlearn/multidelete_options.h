#pragma once
// MultiDelete's options: the [unlearn.multidelete] table (METHODS.md §4, docs/methods/multidelete.md).
#include <cstdint>
#include <string>

namespace lethe::unlearn {

// Its three losses' weights and where each applies (METHODS.md §4).
struct MultiDeleteOptions {
  int64_t epochs = 8;          // passes over each holder's D_f
  double lr = 1e-3;
  std::string unimodal = "forget";  // L_UKR on the D_f batch | the D_r batch
  std::string decoupling = "matrix";  // L_MD on every entry (paper) | the pairs only
  double retention_weight = 1.0;  // λ on L_MKR + L_UKR (1 = the paper's unit weights)
  double task_weight = 0.03;      // weight of L_CLIP on the retain batch (0 = the paper)

  template <class V>
  void visit(V& v) {
    v("epochs", epochs, "passes over D_f (the best on validation is kept)").min(1);
    v("lr", lr, "learning rate").in(0.0, 1.0);
    v("unimodal", unimodal, "unimodal retention on forget | retain")
        .one_of({"forget", "retain"});
    v("decoupling", decoupling,
      "L_MD on the whole similarity matrix (matrix) or only the deleted pairs (pairs)")
        .one_of({"matrix", "pairs"});
    v("task_weight", task_weight,
      "weight of the contrastive task loss on the retain batch (0 = the paper's terms only)")
        .min(0.0);
    v("retention_weight", retention_weight,
      "weight of the retention terms L_MKR + L_UKR (1 = the paper)").in(0.0, 1000.0);
  }
};

}  // namespace lethe::unlearn
