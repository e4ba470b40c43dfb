// run_kind(): the one reading of a config's kind that training, unlearning, the server and the
// benchmarks switch on.
#include <gtest/gtest.h>

#include "lethe/experiment/experiment.h"

namespace lethe::experiment {
namespace {

RunKind kind_of(const std::vector<std::string>& overrides) {
  return run_kind(parse_experiment("[data]\nname = \"emoji\"\ncaption = \"label\"\n", "kind", overrides));
}

TEST(RunKind, ReadsTheModeAndTheStrategy) {
  EXPECT_EQ(kind_of({"run.mode=central"}), RunKind::kCentral);
  EXPECT_EQ(kind_of({"run.mode=federated"}), RunKind::kFederation);
  EXPECT_EQ(kind_of({"run.mode=federated", "fl.strategy=fedprox"}), RunKind::kFederation);
  EXPECT_EQ(kind_of({"run.mode=federated", "fl.strategy=creamfl"}), RunKind::kCreamFl);
  EXPECT_EQ(kind_of({"run.mode=mllm"}), RunKind::kMultimodalLm);
  // A strategy only matters to a federation: a central run that names creamfl is central.
  EXPECT_EQ(kind_of({"run.mode=central", "fl.strategy=creamfl"}), RunKind::kCentral);
  EXPECT_TRUE(is_federated(RunKind::kCreamFl));
  EXPECT_TRUE(is_federated(RunKind::kFederation));
  EXPECT_FALSE(is_federated(RunKind::kCentral));
  EXPECT_FALSE(is_federated(RunKind::kMultimodalLm));
}

}  // namespace
}  // namespace lethe::experiment
