// The reduction of `lethe bench unlearning` (unlearning_summary.h) on hand-made audit.json
// documents: which metrics are read, mean and sample std over seeds, and the markdown tables.
#include "lethe/bench/unlearning_summary.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lethe/core/error.h"

namespace lethe::bench {
namespace {

// An audit block with the fields `lethe unlearn` writes (only those the benchmark reads, plus
// one it must ignore).
nlohmann::json block(double forget, double retain, double test, double auc, double mia) {
  return {{"forget", {{"r1", forget}, {"i2t_r1", 99.0}}},
          {"retain", {{"r1", retain}}},
          {"test", {{"r1", test}}},
          {"auc_deleted_vs_remaining", auc},
          {"mia", {{"auc", mia}, {"forget_member_rate", 0.5}}}};
}

nlohmann::json with_cost(nlohmann::json b, double gap_forget, double cost_ratio, double wall_s) {
  b["gap"] = {{"forget_r1", gap_forget}, {"retain_r1", 1.0}, {"test_r1", 0.5}};
  b["cost_ratio"] = cost_ratio;
  b["wall_s"] = wall_s;
  return b;
}

// Seed s of request client:0: the original forgets nothing, "ga" halves the forget R@1.
SeedAudit client_audit(int64_t seed, double original_forget, double ga_forget, double ga_cost) {
  nlohmann::json original = block(original_forget, 30, 10, 0.40, 0.70);
  original["gap"] = {{"forget_r1", original_forget - 20}, {"retain_r1", 2.0}, {"test_r1", 1.0}};
  nlohmann::json reference = block(20, 28, 9, 0.55, 0.60);
  reference["wall_s"] = 100.0;
  return {seed,
          {{"request", "client:0"},
           {"forget_size", 100 + seed},
           {"original", original},
           {"reference", reference},
           {"methods", {{"ga", with_cost(block(ga_forget, 25, 8, 0.5, 0.6), 20 - ga_forget, ga_cost, 5)}}}}};
}

const nlohmann::json& model(const nlohmann::json& request, const std::string& name) {
  for (const auto& m : request.at("models"))
    if (m.at("model") == name) return m;
  throw std::runtime_error("no model " + name);
}

TEST(UnlearningSummary, ReadsTheAuditFieldsAndMakesRetrainTheUnitOfCost) {
  auto m = model_metrics(with_cost(block(12, 30, 10, 0.45, 0.65), 8, 0.2, 20), false);
  EXPECT_DOUBLE_EQ(m.at("forget_r1").get<double>(), 12);
  EXPECT_DOUBLE_EQ(m.at("retain_r1").get<double>(), 30);
  EXPECT_DOUBLE_EQ(m.at("test_r1").get<double>(), 10);
  EXPECT_DOUBLE_EQ(m.at("gap_forget").get<double>(), 8);
  EXPECT_DOUBLE_EQ(m.at("gap_retain").get<double>(), 1);
  EXPECT_DOUBLE_EQ(m.at("gap_test").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(m.at("auc").get<double>(), 0.45);
  EXPECT_DOUBLE_EQ(m.at("mia_auc").get<double>(), 0.65);
  EXPECT_DOUBLE_EQ(m.at("cost_ratio").get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(m.at("wall_s").get<double>(), 20);
  EXPECT_EQ(m.size(), 10u);

  auto original = model_metrics(block(40, 30, 10, 0.4, 0.7), false);
  EXPECT_FALSE(original.contains("cost_ratio"));  // the original model costs nothing
  EXPECT_FALSE(original.contains("gap_forget"));
  auto retrain = model_metrics(block(20, 28, 9, 0.55, 0.6), true);
  EXPECT_DOUBLE_EQ(retrain.at("cost_ratio").get<double>(), 1.0);
}

TEST(UnlearningSummary, ContractRowsAreFlatOnePerSeedRequestAndModel) {
  const auto rows = contract_rows({client_audit(0, 30, 10, 0.05), client_audit(1, 28, 12, 0.07)});
  ASSERT_EQ(rows.size(), 6u);  // 2 seeds × (original, retrain, ga)
  const auto& ga1 = rows[5];
  EXPECT_EQ(ga1.at("request"), "client:0");
  EXPECT_EQ(ga1.at("method"), "ga");
  EXPECT_EQ(ga1.at("seed"), 1);
  EXPECT_DOUBLE_EQ(ga1.at("forget_r1").get<double>(), 12);
  EXPECT_DOUBLE_EQ(ga1.at("gap_forget_r1").get<double>(), 8);
  EXPECT_DOUBLE_EQ(ga1.at("gap_retain_r1").get<double>(), 1);
  EXPECT_DOUBLE_EQ(ga1.at("gap_test_r1").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(ga1.at("cost_ratio").get<double>(), 0.07);
  EXPECT_FALSE(ga1.contains("gap_forget"));
  EXPECT_EQ(rows[1].at("method"), "retrain");
  EXPECT_DOUBLE_EQ(rows[1].at("cost_ratio").get<double>(), 1.0);
  EXPECT_FALSE(rows[0].contains("cost_ratio"));  // the original has no cost
}

TEST(UnlearningSummary, MeanAndSampleStdOverSeeds) {
  // ga forget R@1 over seeds: 8, 10, 12 → mean 10, sample std 2; cost 0.1, 0.2, 0.6 → mean 0.3,
  // std sqrt(((−0.2)² + (−0.1)² + 0.3²) / 2) = sqrt(0.07).
  std::vector<SeedAudit> audits = {client_audit(0, 40, 8, 0.1), client_audit(1, 42, 10, 0.2),
                                   client_audit(2, 47, 12, 0.6)};
  auto agg = aggregate_unlearning(audits);
  ASSERT_EQ(agg.size(), 1u);
  const auto& r = agg.at(0);
  EXPECT_EQ(r.at("request"), "client:0");
  EXPECT_EQ(r.at("seeds"), nlohmann::json({0, 1, 2}));
  EXPECT_DOUBLE_EQ(r.at("forget_size").at("mean").get<double>(), 101);
  EXPECT_DOUBLE_EQ(r.at("forget_size").at("std").get<double>(), 1);

  std::vector<std::string> order;
  for (const auto& m : r.at("models")) order.push_back(m.at("model"));
  EXPECT_EQ(order, (std::vector<std::string>{"original", "retrain", "ga"}));

  const auto& ga = model(r, "ga");
  EXPECT_NEAR(ga.at("forget_r1").at("mean").get<double>(), 10, 1e-12);
  EXPECT_NEAR(ga.at("forget_r1").at("std").get<double>(), 2, 1e-12);
  EXPECT_EQ(ga.at("forget_r1").at("n"), 3);
  EXPECT_NEAR(ga.at("gap_forget").at("mean").get<double>(), 10, 1e-12);
  EXPECT_NEAR(ga.at("cost_ratio").at("mean").get<double>(), 0.3, 1e-12);
  EXPECT_NEAR(ga.at("cost_ratio").at("std").get<double>(), std::sqrt(0.07), 1e-12);
  // Identical values: zero spread, not missing.
  EXPECT_DOUBLE_EQ(ga.at("retain_r1").at("std").get<double>(), 0);

  const auto& original = model(r, "original");  // 40, 42, 47: mean 43, std sqrt(13)
  EXPECT_NEAR(original.at("forget_r1").at("mean").get<double>(), 43, 1e-12);
  EXPECT_NEAR(original.at("forget_r1").at("std").get<double>(), std::sqrt(13.0), 1e-12);
  EXPECT_NEAR(original.at("gap_forget").at("mean").get<double>(), 23, 1e-12);
  EXPECT_FALSE(original.contains("cost_ratio"));
  EXPECT_DOUBLE_EQ(model(r, "retrain").at("cost_ratio").at("mean").get<double>(), 1.0);

  auto rows = seed_rows(audits);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.at(1).at("seed"), 1);
  EXPECT_DOUBLE_EQ(rows.at(1).at("models").at(2).at("forget_r1").get<double>(), 10);
}

TEST(UnlearningSummary, GroupsByRequestInFirstSeenOrder) {
  auto by_concept = client_audit(0, 40, 8, 0.1);
  by_concept.audit["request"] = "concept:cat";
  auto agg = aggregate_unlearning({by_concept, client_audit(0, 40, 8, 0.1), client_audit(1, 44, 8, 0.1)});
  ASSERT_EQ(agg.size(), 2u);
  EXPECT_EQ(agg.at(0).at("request"), "concept:cat");
  EXPECT_EQ(agg.at(1).at("request"), "client:0");
  EXPECT_EQ(agg.at(1).at("seeds"), nlohmann::json({0, 1}));
  // One seed: a mean without a spread.
  EXPECT_TRUE(model(agg.at(0), "ga").at("forget_r1").at("std").is_null());
  EXPECT_EQ(model(agg.at(0), "ga").at("forget_r1").at("n"), 1);
}

TEST(UnlearningSummary, ASeedAndRequestTwiceIsAnError) {
  try {
    aggregate_unlearning({client_audit(0, 40, 8, 0.1), client_audit(0, 41, 8, 0.1)});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'client:0' appears twice for seed 0"), std::string::npos) << e.what();
  }
}

TEST(UnlearningSummary, MarkdownHasOneTableOfMeanAndStdPerRequest) {
  auto by_concept = client_audit(0, 40, 8, 0.1);
  by_concept.audit["request"] = "concept:cat";
  auto md = unlearning_markdown(aggregate_unlearning(
      {client_audit(0, 40, 8, 0.1), client_audit(1, 42, 10, 0.2), client_audit(2, 47, 12, 0.6), by_concept}));
  EXPECT_NE(md.find("### `client:0`: forget set 101 ± 1 pairs, seeds 0, 1, 2\n"), std::string::npos) << md;
  EXPECT_NE(md.find("### `concept:cat`: forget set 100 pairs, seeds 0\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| model | forget R@1 | retain R@1 | test R@1 | gap forget | gap retain | gap test | "
                    "AUC | MIA AUC | cost / retrain | wall s |\n|---|---|---|---|---|---|---|---|---|---|---|\n"),
            std::string::npos)
      << md;
  // original: forget 43 ± √13 = 3.61, no cost cells; retrain: cost exactly 1 ± 0, wall 100 ± 0.
  EXPECT_NE(md.find("| original | 43.00 ± 3.61 | 30.00 ± 0.00 | 10.00 ± 0.00 | 23.00 ± 3.61 | 2.00 ± 0.00 | "
                    "1.00 ± 0.00 | 0.400 ± 0.000 | 0.700 ± 0.000 |  |  |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| retrain | 20.00 ± 0.00 | 28.00 ± 0.00 | 9.00 ± 0.00 |  |  |  | 0.550 ± 0.000 | "
                    "0.600 ± 0.000 | 1.000 ± 0.000 | 100.0 ± 0.0 |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| ga | 10.00 ± 2.00 | 25.00 ± 0.00 | 8.00 ± 0.00 | 10.00 ± 2.00 | 1.00 ± 0.00 | "
                    "0.50 ± 0.00 | 0.500 ± 0.000 | 0.600 ± 0.000 | 0.300 ± 0.265 | 5.0 ± 0.0 |\n"),
            std::string::npos)
      << md;
  // The single-seed table has bare means.
  EXPECT_NE(md.find("| ga | 8.00 | 25.00 | 8.00 | 12.00 | 1.00 | 0.50 | 0.500 | 0.600 | 0.100 | 5.0 |\n"),
            std::string::npos)
      << md;
}

// A multimodal-LM audit (kind "mllm"): the accuracy groups and gap sums are read, the tables
// show those columns and none of the CLIP ones, and the forget set counts image questions.
TEST(UnlearningSummary, MultimodalLmAuditsGetTheirOwnColumns) {
  auto lm_block = [](double forget_vqa, double gap_sum) {
    nlohmann::json b;
    for (const char* g : {"vqa_forget", "qa_forget", "vqa_retain", "qa_retain", "vqa_heldout"})
      b["eval"][g] = {{"exact", 50.0}, {"choice", 90.0}, {"n", 10}};
    b["eval"]["vqa_forget"]["exact"] = forget_vqa;
    b["gap"] = {{"exact", {{"forget_vqa", gap_sum / 2}, {"forget_qa", 0.0}, {"retain_vqa", gap_sum / 2}, {"sum", gap_sum}}},
                {"choice", {{"sum", 2 * gap_sum}}}};
    return b;
  };
  std::vector<SeedAudit> audits;
  for (int64_t seed : {0, 1}) {
    auto reference = lm_block(10, 0);
    reference["wall_s"] = 100.0;
    auto method = lm_block(20 + double(seed), 4 + double(seed));
    method["cost_ratio"] = 0.05;
    audits.push_back({seed,
                      {{"kind", "mllm"},
                       {"request", "entities:0.05"},
                       {"forget_size", 180},
                       {"original", lm_block(70, 60)},
                       {"reference", reference},
                       {"methods", {{"mmunlearner", method}}}}});
  }
  const auto agg = aggregate_unlearning(audits);
  ASSERT_EQ(agg.size(), 1u);
  const auto& m = model(agg[0], "mmunlearner");
  EXPECT_DOUBLE_EQ(m.at("forget_vqa").at("mean").get<double>(), 20.5);
  EXPECT_DOUBLE_EQ(m.at("gap_sum").at("mean").get<double>(), 4.5);
  EXPECT_DOUBLE_EQ(m.at("gap_sum_choice").at("mean").get<double>(), 9.0);
  EXPECT_DOUBLE_EQ(m.at("gap_retain_vqa").at("mean").get<double>(), 2.25);
  EXPECT_FALSE(m.contains("forget_r1"));
  const auto md = unlearning_markdown(agg);
  EXPECT_NE(md.find("forget set 180 ± 0 image questions"), std::string::npos) << md;
  EXPECT_NE(md.find("| forget VQA |"), std::string::npos) << md;
  EXPECT_EQ(md.find("forget R@1"), std::string::npos) << md;
  EXPECT_EQ(md.find("MIA AUC"), std::string::npos) << md;
}

}  // namespace
}  // namespace lethe::bench
