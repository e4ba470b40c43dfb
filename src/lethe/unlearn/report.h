#pragma once
// report.html: one self-contained page (no network requests, Chart.js inlined) that shows an
// unlearning audit to a reader who was not there: the request, every method next to retrain and
// the original model, the gaps, the attack scores, re-anchoring under the Forget Lock, the cost
// and the weights hashes. docs/report.md describes the page and the keys it reads.
#include <nlohmann/json.hpp>
#include <string>

namespace lethe::unlearn {

// audit: the audit.json document (CONTRACT.md) plus optional keys drawn when present:
//   "training":    [{"round": 1, "loss": 2.3, "val_r1": 4.1, "wall_s": 3.2}, ...]
//   "reanchoring": {"rounds": [0, 1, ...], "curves": {"ease (lock)": [r1, ...], ...}}
//   "methods":     {name: {... as CONTRACT, "note": "..."}}, "reference"/"original" likewise
//   "per_module_E": {"module name": count, ...}
// An absent or null value means "not measured" (shown as "—"; a chart without data becomes a
// note); a value of the wrong type is an InputError naming its key (e.g. "methods.ease.wall_s").
// chartjs_path: Chart.js 4's UMD build; InputError naming it if it is missing.
// The output is deterministic (no timestamps), so equal audits give byte-equal pages.
std::string render_report(const nlohmann::json& audit, const std::string& chartjs_path);

// $LETHE_DATA (default $HOME/.cache/lethe) + /npm/node_modules/chart.js/dist/chart.umd.js,
// where scripts/setup installs it.
std::string chartjs_default_path();

// render_report with chartjs_default_path(), written atomically (no partial file on failure).
void write_report(const std::string& path, const nlohmann::json& audit);

}  // namespace lethe::unlearn
