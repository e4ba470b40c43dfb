#pragma once
// The options of the methods that read the stored history (METHODS.md §2): [unlearn.federaser],
// [unlearn.pga] and [unlearn.fedrecovery].
#include <cstdint>

namespace lethe::unlearn {

// FedEraser: calibration epochs = ⌈r·E⌉.
struct FedEraserOptions {
  double r = 0.5;

  template <class V>
  void visit(V& v) {
    v("r", r, "calibration ratio r").in(0.01, 1.0);
  }
};

// PGA: radius δ = radius_scale · mean ‖w_ref − w_rand‖ over random_inits inits.
struct PgaOptions {
  double radius_scale = 1.0 / 3.0;
  int64_t random_inits = 10;
  int64_t steps = 20;
  double lr = 1e-3;

  template <class V>
  void visit(V& v) {
    v("radius_scale", radius_scale, "radius as a fraction of mean ‖w_ref − w_rand‖").in(0.0, 10.0);
    v("random_inits", random_inits, "random inits for the radius").min(1);
    v("steps", steps, "projected ascent steps").min(1);
    v("lr", lr, "step size").in(0.0, 1.0);
  }
};

// FedRecovery: step c and Gaussian noise σ.
struct FedRecoveryOptions {
  double c = 1.0;
  double sigma = 0.0;

  template <class V>
  void visit(V& v) {
    v("c", c, "step c").in(0.0, 100.0);
    v("sigma", sigma, "Gaussian noise σ").min(0.0);
  }
};

}  // namespace lethe::unlearn
