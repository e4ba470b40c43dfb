#include "lethe/apps/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

namespace lethe::app {

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(header.size());
  for (size_t c = 0; c < header.size(); ++c) w[c] = header[c].size();
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], r[c].size());
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (size_t c = 0; c < w.size(); ++c) {
      const std::string& cell = c < r.size() ? r[c] : std::string();
      s += c == 0 ? fmt::format("{:<{}}", cell, w[c]) : fmt::format("  {:>{}}", cell, w[c]);
    }
    return s + "\n";
  };
  std::string out = line(header);
  size_t total = 0;
  for (size_t c = 0; c < w.size(); ++c) total += w[c] + (c ? 2 : 0);
  out += std::string(total, '-') + "\n";
  for (const auto& r : rows) out += line(r);
  return out;
}

std::string recall_table(const nlohmann::json& eval) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, b] : eval.items()) {
    rows.push_back({name, fmt::format("{}", b.value("gallery", 0)),
                    fmt::format("{:.2f}", b.value("i2t_r1", 0.0)),
                    fmt::format("{:.2f}", b.value("i2t_r5", 0.0)),
                    fmt::format("{:.2f}", b.value("t2i_r1", 0.0)),
                    fmt::format("{:.2f}", b.value("t2i_r5", 0.0)),
                    fmt::format("{:.2f}", b.value("rsum", 0.0)), fmt::format("{:.2f}", b.value("r1", 0.0)),
                    fmt::format("{:.2f}", b.value("rprec", 0.0))});
  }
  return render_table(
      {"split", "gallery", "i2t R@1", "i2t R@5", "t2i R@1", "t2i R@5", "RSUM", "R@1", "R-prec"}, rows);
}

std::string audit_table(const nlohmann::json& audit) {
  auto num = [](const nlohmann::json& b, const nlohmann::json::json_pointer& p, const char* f) {
    return b.contains(p) && b[p].is_number() ? fmt::format(fmt::runtime(f), b[p].get<double>()) : std::string();
  };
  using P = nlohmann::json::json_pointer;
  std::vector<std::vector<std::string>> rows;
  auto row = [&](const std::string& name, const nlohmann::json& b) {
    rows.push_back({name, num(b, P("/forget/r1"), "{:.2f}"), num(b, P("/retain/r1"), "{:.2f}"),
                    num(b, P("/test/r1"), "{:.2f}"), num(b, P("/forget/rprec"), "{:.2f}"),
                    num(b, P("/gap/forget_r1"), "{:.2f}"),
                    num(b, P("/gap/retain_r1"), "{:.2f}"), num(b, P("/auc_deleted_vs_remaining"), "{:.3f}"),
                    num(b, P("/mia/auc"), "{:.3f}"), num(b, P("/cost_ratio"), "{:.3f}")});
  };
  row("original", audit["original"]);
  row(audit["reference"].value("method", std::string("retrain")), audit["reference"]);
  for (const auto& [name, b] : audit["methods"].items()) row(name, b);
  return render_table({"model", "forget R@1", "retain R@1", "test R@1", "forget R-prec", "gap forget",
                       "gap retain", "AUC", "MIA AUC", "cost"},
                      rows);
}

std::string lm_accuracy_table(const nlohmann::json& lm) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [group, g] : lm.items())
    rows.push_back({group, std::to_string(g.value("n", int64_t{0})), fmt::format("{:.1f}", g.value("exact", 0.0)),
                    fmt::format("{:.1f}", g.value("choice", 0.0))});
  return render_table({"questions", "n", "exact %", "4-way %"}, rows);
}

std::string lm_audit_table(const nlohmann::json& audit) {
  auto num = [](const nlohmann::json& b, const std::string& p) {
    const auto ptr = nlohmann::json::json_pointer(p);
    return b.contains(ptr) && b[ptr].is_number() ? fmt::format("{:.1f}", b[ptr].get<double>()) : std::string();
  };
  std::vector<std::vector<std::string>> rows;
  auto row = [&](const std::string& name, const nlohmann::json& b) {
    std::vector<std::string> r{name};
    for (const char* g : {"vqa_forget", "qa_forget", "vqa_retain", "qa_retain", "vqa_heldout"})
      r.push_back(num(b, fmt::format("/eval/{}/exact", g)) + " / " + num(b, fmt::format("/eval/{}/choice", g)));
    r.push_back(num(b, "/gap/exact/sum") + " / " + num(b, "/gap/choice/sum"));
    r.push_back(b.contains("cost_ratio") ? fmt::format("{:.3f}", b["cost_ratio"].get<double>()) : "");
    rows.push_back(std::move(r));
  };
  row("original", audit["original"]);
  row("retrain", audit["reference"]);
  for (const auto& [name, b] : audit["methods"].items()) row(name, b);
  return render_table({"model (exact / 4-way %)", "forget VQA", "forget QA", "retain VQA", "retain QA",
                       "held-out VQA", "gap sum", "cost"},
                      rows);
}

std::string keys_table(const std::vector<config::FieldInfo>& fields) {
  size_t kw = 0, vw = 0;
  for (const auto& f : fields) kw = std::max(kw, f.path.size()), vw = std::max(vw, f.default_value.size());
  vw = std::min<size_t>(vw, 24);
  std::string out;
  for (const auto& f : fields) out += fmt::format("  {:<{}} = {:<{}}  {}\n", f.path, kw, f.default_value, vw, f.help);
  return out;
}

void add_config_help(CLI::App* cmd, std::function<std::string()> text) {
  cmd->add_flag_callback(
      "--help-config",
      [text] {
        std::cout << text();
        throw CLI::Success();
      },
      "list every config key with its default and meaning, then exit");
}

}  // namespace lethe::app
