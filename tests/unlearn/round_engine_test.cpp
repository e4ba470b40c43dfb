// What unlearning asks of a training engine (round_engine.h): one engine per federated run kind.
#include "lethe/unlearn/round_engine.h"

#include <gtest/gtest.h>

#include "common/test_util.h"

namespace lethe::unlearn {
namespace {

TEST(RoundEngine, EachFederatedRunKindHasItsOwnAndTheOthersNone) {
  using experiment::RunKind;
  const auto& weights = round_engine(RunKind::kFederation);
  const auto& creamfl = round_engine(RunKind::kCreamFl);
  EXPECT_NE(&weights, &creamfl);
  EXPECT_EQ(&weights, &round_engine(RunKind::kFederation));  // one engine per kind, not one per call
  for (auto kind : {RunKind::kCentral, RunKind::kMultimodalLm})
    lethe::testing::expect_input_error([&] { round_engine(kind); }, {"not trained by a federation"});
}

}  // namespace
}  // namespace lethe::unlearn
