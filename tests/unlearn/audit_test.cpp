// The audit's galleries: retain and test R@K are means over disjoint galleries (folds) of the
// forget gallery's size, drawn from the right pairs, and the reported figure is their mean.
#include "lethe/unlearn/audit.h"

#include <gtest/gtest.h>

#include <set>

#include "common/test_util.h"
#include "lethe/eval/embed.h"
#include "lethe/train/central.h"
#include "unlearn/fixture.h"

namespace lethe::unlearn {
namespace {

using namespace testing;  // the tiny-run fixture

std::set<int64_t> units_of(const data::Dataset& ds, const std::vector<int64_t>& pairs) {
  std::set<int64_t> u;
  for (int64_t p : pairs) u.insert(ds.pairs[p].unit);
  return u;
}

// samples:0:0.4 on the shared tiny run, audited over 3 folds.
struct SampleRequestAudit {
  const TinyRun& run = shared_tiny_run();
  const ForgetSet forget = forget_set_of(run, "samples:0:0.4");
  UnlearnConfig u = [] {
    UnlearnConfig c;
    c.audit_folds = 3;
    return c;
  }();
  UnlearnInputs in = inputs_of(run, forget, u, temp_dir().string());
  const AuditSets sets = make_audit_sets(in);
};

TEST(Audit, RetainAndTestAreMeansOverDisjointGalleriesOfTheForgetSize) {
  SampleRequestAudit fx;
  auto& [run, forget, u, in, sets] = fx;
  ASSERT_GT(sets.units, 0);
  EXPECT_EQ(static_cast<int64_t>(units_of(run.ds, sets.forget).size()), sets.units);

  auto check = [&](const std::vector<std::vector<int64_t>>& folds, const std::vector<int64_t>& from,
                   const char* what) {
    const auto available = static_cast<int64_t>(units_of(run.ds, from).size());
    EXPECT_EQ(static_cast<int64_t>(folds.size()), std::max<int64_t>(1, std::min<int64_t>(3, available / sets.units)))
        << what;
    const std::set<int64_t> allowed(from.begin(), from.end());
    std::set<int64_t> seen_units;
    for (const auto& f : folds) {
      const auto fu = units_of(run.ds, f);
      EXPECT_EQ(static_cast<int64_t>(fu.size()), sets.units) << what;
      for (int64_t p : f) EXPECT_TRUE(allowed.count(p)) << what << " pair " << p;
      for (int64_t unit : fu) EXPECT_TRUE(seen_units.insert(unit).second) << what << " unit " << unit << " twice";
    }
  };
  check(sets.retain, forget.retain, "retain");
  check(sets.test, run.ds.test, "test");
  ASSERT_GE(sets.retain.size(), 2u);  // the fixture's retained clients fill several galleries

  // The first fold is the single gallery an audit with one fold draws.
  u.audit_folds = 1;
  auto one = make_audit_sets(inputs_of(run, forget, u, temp_dir().string()));
  ASSERT_EQ(one.retain.size(), 1u);
  EXPECT_EQ(one.retain[0], sets.retain[0]);
  EXPECT_EQ(one.test[0], sets.test[0]);
  EXPECT_EQ(one.forget, sets.forget);

  // The reported block is the field-wise mean of the folds' blocks.
  const auto a = audit_model(in, sets, run.original);
  auto model = model_with(in, run.original);
  for (const char* split : {"retain", "test"}) {
    const bool retain = std::string(split) == "retain";
    const auto& folds = retain ? sets.retain : sets.test;
    const FoldRecall& got = retain ? a.retain : a.test;
    ASSERT_EQ(got.r1_folds.size(), folds.size());
    double r1 = 0, rsum = 0;
    for (size_t i = 0; i < folds.size(); ++i) {
      const auto b = eval::evaluate_pairs(model, in.ds, in.tokens, folds[i], in.ctx);
      EXPECT_DOUBLE_EQ(got.r1_folds[i], b.r1) << split << " fold " << i;
      r1 += b.r1, rsum += b.rsum;
    }
    EXPECT_NEAR(got.mean.r1, r1 / double(folds.size()), 1e-9) << split;
    EXPECT_NEAR(got.mean.rsum, rsum / double(folds.size()), 1e-9) << split;
    // audit.json's block: the mean's fields, the fold count and each fold's R@1.
    const auto j = got.to_json();
    EXPECT_EQ(j["folds"].get<size_t>(), folds.size()) << split;
    EXPECT_EQ(j["r1_folds"].get<std::vector<double>>(), got.r1_folds) << split;
    EXPECT_DOUBLE_EQ(j["r1"].get<double>(), got.mean.r1) << split;
  }
}

TEST(Audit, OneEmbeddingTableServesEverySet) {
  SampleRequestAudit fx;
  auto& [run, forget, u, in, sets] = fx;
  auto model = model_with(in, run.original);
  const auto table = embed_audit_sets(model, in, sets);

  // Looking a set up gives what encoding it alone gives.
  const auto direct = eval::evaluate_pairs(model, in.ds, in.tokens, sets.forget, in.ctx);
  const auto looked_up = table.evaluate(sets.forget);
  EXPECT_DOUBLE_EQ(looked_up.r1, direct.r1);
  EXPECT_DOUBLE_EQ(looked_up.rsum, direct.rsum);
  EXPECT_EQ(looked_up.gallery, direct.gallery);
  const auto a = table.pairs(sets.members);
  const auto b = eval::pair_embeddings(model, in.ds, in.tokens, sets.members, in.ctx);
  ASSERT_EQ(a.image.sizes(), b.image.sizes());
  EXPECT_TRUE(torch::allclose(a.image, b.image, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(a.text, b.text, 1e-5, 1e-6));

  // A pair whose image the table never encoded is an error, not a made-up row.
  const std::vector<int64_t> two = {sets.forget[0], sets.forget[1]};
  const eval::EmbeddingTable small(model, in.ds, in.tokens, two, in.ctx);
  int64_t outside = -1;
  for (int64_t p : sets.members)
    if (in.ds.pairs[p].image != in.ds.pairs[two[0]].image && in.ds.pairs[p].image != in.ds.pairs[two[1]].image)
      outside = p;
  ASSERT_GE(outside, 0);
  lethe::testing::expect_input_error([&] { small.pairs({outside}); }, {"was not encoded"});
  lethe::testing::expect_input_error([&] { small.evaluate({two[0], outside}); }, {"was not encoded"});
}

}  // namespace
}  // namespace lethe::unlearn
