#pragma once
// Plain-text tables for the terminal.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace lethe::app {

// Renders rows under a header with aligned columns.
std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// The recall table of a summary.json "eval" object (one row per block).
std::string recall_table(const nlohmann::json& eval);

}  // namespace lethe::app
