// The relearning attack: trains on a few D_f units the rebound gallery never contains, the same
// way for every model it is applied to.
#include "lethe/unlearn/relearn.h"

#include <gtest/gtest.h>

#include <set>

#include "lethe/eval/embed.h"
#include "unlearn/fixture.h"

namespace lethe::unlearn {
namespace {

using namespace testing;  // the tiny-run fixture

TEST(Relearn, TrainsOnUnitsOutsideItsGalleryAndIsRepeatable) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  UnlearnConfig u;
  u.relearn_fraction = 0.1;
  u.relearn_steps = 4;
  auto in = inputs_of(run, forget, u, temp_dir().string());
  const auto sets = make_audit_sets(in);
  ASSERT_FALSE(sets.relearn_train.empty());
  ASSERT_FALSE(sets.relearn_gallery.empty());

  const std::set<int64_t> forget_pairs(forget.forget.begin(), forget.forget.end());
  const std::set<int64_t> gallery(sets.forget.begin(), sets.forget.end());
  std::set<int64_t> attack_units;
  for (int64_t p : sets.relearn_train) {
    EXPECT_TRUE(forget_pairs.count(p)) << "attack pair " << p << " is not in D_f";
    attack_units.insert(run.ds.pairs[p].unit);
  }
  for (int64_t p : sets.relearn_gallery) {
    EXPECT_TRUE(gallery.count(p));
    EXPECT_FALSE(attack_units.count(run.ds.pairs[p].unit)) << "gallery pair " << p << " was trained on";
  }
  EXPECT_EQ(sets.relearn_gallery.size() + sets.relearn_train.size(), sets.forget.size());  // D_f fits the gallery

  const auto a = relearn_attack(in, sets, run.original);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->steps, 4);
  EXPECT_EQ(a->train_pairs, static_cast<int64_t>(sets.relearn_train.size()));
  auto model = model_with(in, run.original);
  EXPECT_DOUBLE_EQ(a->forget_r1_before,
                   eval::evaluate_pairs(model, in.ds, in.tokens, sets.relearn_gallery, in.ctx).r1);
  EXPECT_DOUBLE_EQ(a->to_json()["rebound"].get<double>(), a->forget_r1_after - a->forget_r1_before);
  EXPECT_EQ(relearn_attack(in, sets, run.original), a);  // the same batches every time

  u.relearn_steps = 0;
  EXPECT_FALSE(relearn_attack(in, sets, run.original).has_value());
}

}  // namespace
}  // namespace lethe::unlearn
