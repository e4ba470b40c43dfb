#include "lethe/core/registry.h"

#include <gtest/gtest.h>

#include <functional>

namespace lethe {
namespace {

using Factory = std::function<int(int)>;

Registry<Factory> make() {
  Registry<Factory> r("strategy");
  r.add("fedprox", "FedAvg with a proximal term", [](int x) { return x + 2; });
  r.add("fedavg", "weighted average", [](int x) { return x + 1; });
  return r;
}

TEST(Registry, LooksUpByName) {
  auto r = make();
  EXPECT_EQ(r.kind(), "strategy");
  EXPECT_TRUE(r.contains("fedavg"));
  EXPECT_FALSE(r.contains("fedsgd"));
  const auto& e = r.get("fedprox");
  EXPECT_EQ(e.name, "fedprox");
  EXPECT_EQ(e.description, "FedAvg with a proximal term");
  EXPECT_EQ(e.factory(1), 3);
  EXPECT_EQ(r.names(), (std::vector<std::string>{"fedavg", "fedprox"}));  // sorted
  auto entries = r.entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]->name, "fedavg");
}

// An accessor's registry holds its built-ins from the first call on, with no registration call.
void add_builtins(Registry<Factory>& r) { r.add("fedavg", "weighted average", [](int x) { return x + 1; }); }
int builtins_filled = 0;
Registry<Factory>& accessor() {
  static Registry<Factory> r("strategy", [](Registry<Factory>& reg) { ++builtins_filled, add_builtins(reg); });
  return r;
}

TEST(Registry, AnAccessorsRegistryHoldsItsBuiltinsOnceFromTheFirstUse) {
  EXPECT_EQ(accessor().get("fedavg").factory(1), 2);
  accessor().add("fedsgd", "added later", [](int x) { return x; });
  EXPECT_EQ(accessor().names(), (std::vector<std::string>{"fedavg", "fedsgd"}));
  EXPECT_EQ(builtins_filled, 1);
}

TEST(Registry, UnknownNameListsTheValidOnes) {
  auto r = make();
  try {
    r.get("fedavgg");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown strategy 'fedavgg' (did you mean 'fedavg'?); valid: fedavg, fedprox");
  }
  try {
    r.get("scaffold");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown strategy 'scaffold'; valid: fedavg, fedprox");
  }
}

TEST(Registry, DuplicateRegistrationIsABug) {
  auto r = make();
  EXPECT_THROW(r.add("fedavg", "again", [](int x) { return x; }), std::logic_error);
}

}  // namespace
}  // namespace lethe
