#include <gtest/gtest.h>

#include "lethe/core/error.h"
#include "lethe/eval/auc.h"
#include "lethe/eval/mia.h"

using namespace lethe::eval;

TEST(Auroc, HandComputedWithTies) {
  // Positives {3, 2}, negatives {1, 2}: pairs (3>1, 3>2, 2>1, 2=2 → ½) → 3.5/4.
  auto s = torch::tensor({3.0, 2.0, 1.0, 2.0});
  auto y = torch::tensor({1, 1, 0, 0});
  EXPECT_DOUBLE_EQ(auroc(s, y), 0.875);
  EXPECT_DOUBLE_EQ(auroc(-s, y), 0.125);
  EXPECT_DOUBLE_EQ(auroc(torch::ones({4}), y), 0.5);
}

TEST(Auroc, NeedsBothClasses) {
  try {
    auroc(torch::tensor({1.0, 2.0}), torch::tensor({1, 1}));
    FAIL();
  } catch (const lethe::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("both classes"), std::string::npos);
  }
}

TEST(DeletedVsRemaining, SeparatedAndIdentical) {
  auto f = torch::zeros({10}), r = torch::ones({60});
  EXPECT_DOUBLE_EQ(deleted_vs_remaining_auc(f, r, 5, 0), 1.0);  // retained always scores higher
  EXPECT_DOUBLE_EQ(deleted_vs_remaining_auc(r.slice(0, 0, 10), r, 5, 0), 0.5);
  // Only 2 full chunks of |D_f| fit in D_r: still defined.
  EXPECT_DOUBLE_EQ(deleted_vs_remaining_auc(f, torch::ones({25}), 5, 0), 1.0);
}

TEST(Mia, FeaturesHandComputed) {
  auto img = torch::tensor({{1.0, 0.0}});
  auto txt = torch::tensor({{1.0, 0.0}});
  auto d = torch::tensor({{0.0, 1.0}, {1.0, 0.0}});
  auto f = mia_features(img, txt, d, 1.0);
  EXPECT_DOUBLE_EQ(f[0][0].item<double>(), 1.0);
  // logits (1, 0, 1): loss = log(e + 1 + e) - 1
  EXPECT_NEAR(f[0][1].item<double>(), -(std::log(2 * std::exp(1.0) + 1.0) - 1.0), 1e-12);
  EXPECT_NEAR(f[0][2].item<double>(), -std::log(2.0), 1e-12);  // one distractor ties → rank 1
}

TEST(Mia, SeparableMembersAreDetected) {
  torch::manual_seed(0);
  auto members = torch::randn({200, 3}, torch::kDouble) + 2.0;
  auto nonmembers = torch::randn({200, 3}, torch::kDouble) - 2.0;
  auto r = membership_inference(members, nonmembers, members.slice(0, 0, 50), 1);
  EXPECT_GT(r.auc, 0.95);
  EXPECT_GT(r.threshold_auc, 0.9);
  EXPECT_GT(r.forget_member_rate, 0.9);
  auto same = membership_inference(members, members.clone() + 0.0, nonmembers.slice(0, 0, 50), 1);
  EXPECT_LT(std::abs(same.auc - 0.5), 0.15);
}

TEST(Mia, LogisticRecoversDirection) {
  auto x = torch::tensor({{-2.0}, {-1.0}, {1.0}, {2.0}, {-0.5}, {0.5}});
  auto y = torch::tensor({0, 0, 1, 1, 1, 0});
  auto [w, b] = fit_logistic(x, y, 1e-2);
  EXPECT_GT(w[0].item<double>(), 0.0);
}
