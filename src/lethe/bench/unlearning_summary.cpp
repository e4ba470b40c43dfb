#include "lethe/bench/unlearning_summary.h"

#include "lethe/bench/stats.h"

#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "lethe/core/error.h"
#include "lethe/core/strings.h"

namespace lethe::bench {

namespace {

struct Metric {
  const char* key;      // name in the rows and aggregates
  const char* pointer;  // where an audit block holds it
  const char* header;   // markdown column
  int decimals;
};

// R@1, R-precision, accuracies and gaps are percentages; AUCs and the cost ratio are fractions. A block
// holds either the CLIP metrics or the multimodal LM's; tables show the columns a request has.
constexpr Metric kMetrics[] = {
    {"forget_r1", "/forget/r1", "forget R@1", 2},
    {"retain_r1", "/retain/r1", "retain R@1", 2},
    {"test_r1", "/test/r1", "test R@1", 2},
    {"forget_rprec", "/forget/rprec", "forget R-prec", 2},
    {"retain_rprec", "/retain/rprec", "retain R-prec", 2},
    {"test_rprec", "/test/rprec", "test R-prec", 2},
    {"gap_forget", "/gap/forget_r1", "gap forget", 2},
    {"gap_retain", "/gap/retain_r1", "gap retain", 2},
    {"gap_test", "/gap/test_r1", "gap test", 2},
    {"auc", "/auc_deleted_vs_remaining", "AUC", 3},
    {"mia_auc", "/mia/auc", "MIA AUC", 3},
    // Multimodal-LM audits (kind "mllm"): exact-match accuracy in %, the 4-way choice where named.
    {"forget_vqa", "/eval/vqa_forget/exact", "forget VQA", 1},
    {"forget_vqa_choice", "/eval/vqa_forget/choice", "forget VQA 4-way", 1},
    {"forget_qa", "/eval/qa_forget/exact", "forget QA", 1},
    {"retain_vqa", "/eval/vqa_retain/exact", "retain VQA", 1},
    {"retain_qa", "/eval/qa_retain/exact", "retain QA", 1},
    {"heldout_vqa", "/eval/vqa_heldout/exact", "held-out VQA", 1},
    {"gap_forget_vqa", "/gap/exact/forget_vqa", "gap forget VQA", 1},
    {"gap_forget_qa", "/gap/exact/forget_qa", "gap forget QA", 1},
    {"gap_retain_vqa", "/gap/exact/retain_vqa", "gap retain VQA", 1},
    {"gap_sum", "/gap/exact/sum", "gap sum", 1},
    {"gap_sum_choice", "/gap/choice/sum", "gap sum 4-way", 1},
    {"cost_ratio", "/cost_ratio", "cost / retrain", 3},
    {"wall_s", "/wall_s", "wall s", 1},
};

}  // namespace

nlohmann::json model_metrics(const nlohmann::json& block, bool is_retrain) {
  nlohmann::json m = nlohmann::json::object();
  for (const auto& metric : kMetrics) {
    const nlohmann::json::json_pointer ptr(metric.pointer);
    if (block.contains(ptr) && block.at(ptr).is_number()) m[metric.key] = block.at(ptr);
  }
  if (is_retrain) m["cost_ratio"] = 1.0;
  return m;
}

nlohmann::json seed_rows(const std::vector<SeedAudit>& audits) {
  nlohmann::json rows = nlohmann::json::array();
  std::set<std::pair<int64_t, std::string>> seen;
  for (const auto& a : audits) {
    const auto request = a.audit.at("request").get<std::string>();
    LETHE_CHECK(seen.insert({a.seed, request}).second,
                "unlearning benchmark: request '{}' appears twice for seed {}", request, a.seed);
    nlohmann::json models = nlohmann::json::array();
    auto add = [&](const std::string& name, const nlohmann::json& block, bool is_retrain) {
      auto m = model_metrics(block, is_retrain);
      m["model"] = name;
      models.push_back(std::move(m));
    };
    add("original", a.audit.at("original"), false);
    add("retrain", a.audit.at("reference"), true);
    for (const auto& [name, block] : a.audit.at("methods").items()) add(name, block, false);
    rows.push_back({{"seed", a.seed},
                    {"request", request},
                    {"forget_size", a.audit.at("forget_size")},
                    {"forget_unit", a.audit.value("kind", std::string()) == "mllm" ? "image questions" : "pairs"},
                    {"models", std::move(models)}});
  }
  return rows;
}

nlohmann::json contract_rows(const std::vector<SeedAudit>& audits) {
  // Row keys where CONTRACT.md names them differently from the aggregate's metric keys.
  const std::map<std::string, std::string> renamed = {
      {"gap_forget", "gap_forget_r1"}, {"gap_retain", "gap_retain_r1"}, {"gap_test", "gap_test_r1"}};
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& seed_row : seed_rows(audits)) {
    for (const auto& m : seed_row.at("models")) {
      nlohmann::json row = {{"request", seed_row.at("request")}, {"method", m.at("model")},
                            {"seed", seed_row.at("seed")}};
      for (const auto& [key, value] : m.items()) {
        if (key == "model") continue;
        auto it = renamed.find(key);
        row[it == renamed.end() ? key : it->second] = value;
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

nlohmann::json aggregate_unlearning(const std::vector<SeedAudit>& audits) {
  // request -> model -> metric -> values over seeds; orders kept as first seen.
  struct Group {
    std::vector<int64_t> seeds;
    std::vector<double> forget_size;
    std::vector<std::string> model_order;
    std::string forget_unit = "pairs";
    std::map<std::string, std::map<std::string, std::vector<double>>> values;
  };
  std::vector<std::string> request_order;
  std::map<std::string, Group> groups;
  for (const auto& row : seed_rows(audits)) {
    const auto request = row.at("request").get<std::string>();
    if (!groups.count(request)) request_order.push_back(request);
    auto& g = groups[request];
    g.seeds.push_back(row.at("seed").get<int64_t>());
    g.forget_size.push_back(row.at("forget_size").get<double>());
    g.forget_unit = row.value("forget_unit", std::string("pairs"));
    for (const auto& m : row.at("models")) {
      const auto model = m.at("model").get<std::string>();
      if (!g.values.count(model)) g.model_order.push_back(model);
      auto& per_metric = g.values[model];
      for (const auto& metric : kMetrics)
        if (m.contains(metric.key)) per_metric[metric.key].push_back(m.at(metric.key).get<double>());
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& request : request_order) {
    const auto& g = groups.at(request);
    nlohmann::json models = nlohmann::json::array();
    for (const auto& model : g.model_order) {
      nlohmann::json m = {{"model", model}};
      for (const auto& [key, xs] : g.values.at(model)) m[key] = stat_json(xs);
      models.push_back(std::move(m));
    }
    out.push_back({{"request", request},
                   {"seeds", g.seeds},
                   {"forget_size", stat_json(g.forget_size)},
                   {"forget_unit", g.forget_unit},
                   {"models", std::move(models)}});
  }
  return out;
}

std::string unlearning_markdown(const nlohmann::json& aggregate) {
  std::string md;
  for (const auto& r : aggregate) {
    std::vector<std::string> seeds;
    for (const auto& s : r.at("seeds")) seeds.push_back(std::to_string(s.get<int64_t>()));
    md += fmt::format("### `{}`: forget set {} {}, seeds {}\n\n", r.at("request").get<std::string>(),
                      stat_cell(r.at("forget_size"), 0), r.value("forget_unit", std::string("pairs")),
                      join(seeds, ", "));
    std::vector<const Metric*> columns;
    for (const auto& metric : kMetrics)
      for (const auto& m : r.at("models"))
        if (m.contains(metric.key)) {
          columns.push_back(&metric);
          break;
        }
    std::vector<std::string> header = {"model"}, rule = {"---"};
    for (const auto* metric : columns) {
      header.emplace_back(metric->header);
      rule.emplace_back("---");
    }
    md += "| " + join(header, " | ") + " |\n|" + join(rule, "|") + "|\n";
    for (const auto& m : r.at("models")) {
      std::vector<std::string> cells = {m.at("model").get<std::string>()};
      for (const auto* metric : columns)
        cells.push_back(m.contains(metric->key) ? stat_cell(m.at(metric->key), metric->decimals) : "");
      md += "| " + join(cells, " | ") + " |\n";
    }
    md += "\n";
  }
  return md;
}

}  // namespace lethe::bench
