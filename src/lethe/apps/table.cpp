#include "lethe/apps/table.h"

#include <fmt/format.h>

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
                    fmt::format("{:.2f}", b.value("rsum", 0.0)), fmt::format("{:.2f}", b.value("r1", 0.0))});
  }
  return render_table({"split", "gallery", "i2t R@1", "i2t R@5", "t2i R@1", "t2i R@5", "RSUM", "R@1"},
                      rows);
}

}  // namespace lethe::app
