#include "lethe/unlearn/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/version.h"

namespace lethe::unlearn {

namespace {
using json = nlohmann::json;

constexpr std::array<const char*, 3> kSplits = {"forget", "retain", "test"};
constexpr std::array<const char*, 3> kSplitNames = {"Forget", "Retain", "Test"};
// Okabe–Ito colours (distinguishable with colour-blindness); the original and retrain keep fixed
// neutral colours so a reader learns them once.
constexpr std::array<const char*, 6> kPalette = {"#0072B2", "#E69F00", "#009E73",
                                                 "#CC79A7", "#56B4E9", "#D55E00"};
constexpr std::array<const char*, 3> kSplitColours = {"#D55E00", "#0072B2", "#009E73"};
constexpr const char* kOriginalColour = "#9ca3af";
constexpr const char* kRetrainColour = "#1f2937";

// ---- Typed access: absent or null is "not measured"; another type is the writer's mistake.

enum class Kind { kNumber, kString, kObject, kArray };

const json* find(const json& obj, const std::string& path, const std::string& key, Kind kind) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  static constexpr std::array<const char*, 4> kWanted = {"a number", "a string", "an object",
                                                         "an array"};
  bool ok = kind == Kind::kNumber   ? it->is_number()
            : kind == Kind::kString ? it->is_string()
            : kind == Kind::kObject ? it->is_object()
                                    : it->is_array();
  std::string full = path.empty() ? key : path + "." + key;
  LETHE_CHECK(ok, "audit key '{}': expected {}, got {}", full, kWanted[static_cast<int>(kind)],
              it->type_name());
  return &*it;
}

std::optional<double> number(const json& obj, const std::string& path, const std::string& key) {
  const json* v = find(obj, path, key, Kind::kNumber);
  return v ? std::optional<double>(v->get<double>()) : std::nullopt;
}

std::string text(const json& obj, const std::string& path, const std::string& key) {
  const json* v = find(obj, path, key, Kind::kString);
  return v ? v->get<std::string>() : "";
}

// ---- Rows of the results table: original, retrain, then the methods by name.

struct Row {
  std::string name;
  std::string role;  // "original", "reference" or "method": CSS class and legend colour
  std::string colour;
  std::array<std::optional<double>, 3> r1, gap, gallery;  // per split; R@1 in %, gap in points
  std::optional<double> auc, mia_auc, member_rate, wall_s, cost;
  std::string sha256, note;
};

Row read_row(const json& block, const std::string& path, std::string name, std::string role) {
  Row row;
  row.name = std::move(name);
  row.role = std::move(role);
  for (size_t s = 0; s < kSplits.size(); ++s) {
    if (const json* b = find(block, path, kSplits[s], Kind::kObject)) {
      std::string bpath = path + "." + kSplits[s];
      row.r1[s] = number(*b, bpath, "r1");
      row.gallery[s] = number(*b, bpath, "gallery");
    }
  }
  if (const json* g = find(block, path, "gap", Kind::kObject))
    for (size_t s = 0; s < kSplits.size(); ++s)
      row.gap[s] = number(*g, path + ".gap", std::string(kSplits[s]) + "_r1");
  row.auc = number(block, path, "auc_deleted_vs_remaining");
  if (const json* m = find(block, path, "mia", Kind::kObject)) {
    row.mia_auc = number(*m, path + ".mia", "auc");
    row.member_rate = number(*m, path + ".mia", "forget_member_rate");
  }
  row.wall_s = number(block, path, "wall_s");
  row.cost = number(block, path, "cost_ratio");
  row.sha256 = text(block, path, "weights_sha256");
  row.note = text(block, path, "note");
  return row;
}

std::vector<Row> read_rows(const json& audit) {
  std::vector<Row> rows;
  if (const json* o = find(audit, "", "original", Kind::kObject))
    rows.push_back(read_row(*o, "original", "original", "original"));
  const json* ref = find(audit, "", "reference", Kind::kObject);
  if (ref) {
    std::string name = text(*ref, "reference", "method");
    rows.push_back(read_row(*ref, "reference", name.empty() ? "retrain" : name, "reference"));
  }
  if (const json* ms = find(audit, "", "methods", Kind::kObject))
    for (const auto& [name, m] : ms->items()) {
      LETHE_CHECK(m.is_object(), "audit key 'methods.{}': expected an object, got {}", name,
                  m.type_name());
      rows.push_back(read_row(m, "methods." + name, name, "method"));
    }
  size_t next_colour = 0;
  for (Row& row : rows)
    row.colour = row.role == "original"    ? kOriginalColour
                 : row.role == "reference" ? kRetrainColour
                                           : kPalette[next_colour++ % kPalette.size()];
  // The gap and cost of the original (and of a method whose writer left them out) follow from
  // the reference; the reference itself is the yardstick and has neither gap nor a cost < 1.
  auto r =
      std::find_if(rows.begin(), rows.end(), [](const Row& x) { return x.role == "reference"; });
  if (r == rows.end()) return rows;
  r->cost = r->wall_s ? std::optional<double>(1.0) : std::nullopt;
  for (Row& row : rows) {
    if (row.role == "reference") continue;
    for (size_t s = 0; s < kSplits.size(); ++s)
      if (!row.gap[s] && row.r1[s] && r->r1[s]) row.gap[s] = std::abs(*row.r1[s] - *r->r1[s]);
    if (row.role == "method" && !row.cost && row.wall_s && r->wall_s && *r->wall_s > 0)
      row.cost = *row.wall_s / *r->wall_s;
  }
  return rows;
}

// ---- Chart.js configurations (data only; shared options and formatting live in kRenderJs).

struct ChartSpec {
  std::string name, title, caption;
  std::optional<json> config;  // nullopt: no data, `absent` is shown instead
  std::string absent;
};

json values(const std::vector<std::optional<double>>& v) {
  json out = json::array();
  for (const auto& x : v) out.push_back(x ? json(*x) : json(nullptr));
  return out;
}

json dataset(const std::string& label, const json& data, const std::string& colour) {
  return {{"label", label}, {"data", data}, {"backgroundColor", colour}, {"borderColor", colour}};
}

json axis_title(const std::string& t) { return {{"display", true}, {"text", t}}; }

// A chart's configuration, or nullopt when every value of every dataset is missing.
std::optional<json> chart(const char* type, const json& labels, const json& datasets,
                          const json& options) {
  for (const json& d : datasets)
    for (const json& v : d["data"])
      if (!v.is_null())
        return json{{"type", type},
                    {"data", {{"labels", labels}, {"datasets", datasets}}},
                    {"options", options}};
  return std::nullopt;
}

ChartSpec training_chart(const json& audit) {
  ChartSpec c{"training", "Training of the original model",
              "Loss (left axis) and validation R@1 (right axis) per federated round.", std::nullopt,
              "No per-round training curve in this audit (key \"training\")."};
  const json* t = find(audit, "", "training", Kind::kArray);
  if (!t || t->empty()) return c;
  json labels = json::array();
  std::vector<std::optional<double>> loss, r1;
  for (size_t i = 0; i < t->size(); ++i) {
    std::string path = fmt::format("training[{}]", i);
    LETHE_CHECK((*t)[i].is_object(), "audit key '{}': expected an object, got {}", path,
                (*t)[i].type_name());
    labels.push_back(number((*t)[i], path, "round").value_or(static_cast<double>(i + 1)));
    loss.push_back(number((*t)[i], path, "loss"));
    r1.push_back(number((*t)[i], path, "val_r1"));
  }
  json loss_set = dataset("loss", values(loss), kPalette[0]);
  loss_set["yAxisID"] = "y";
  json r1_set = dataset("validation R@1 (%)", values(r1), kPalette[5]);
  r1_set["yAxisID"] = "y1";
  c.config = chart("line", labels, {loss_set, r1_set},
                   {{"scales",
                     {{"x", {{"title", axis_title("round")}}},
                      {"y", {{"position", "left"}, {"title", axis_title("loss")}}},
                      {"y1",
                       {{"position", "right"},
                        {"grid", {{"drawOnChartArea", false}}},
                        {"title", axis_title("validation R@1 (%)")}}}}}});
  return c;
}

ChartSpec recall_chart(const std::vector<Row>& rows) {
  ChartSpec c{"recall", "Recall@1 per split",
              "Each method next to retrain (the target) and the original. Forget R@1 should come "
              "down to retrain's level; retain and test R@1 should stay with it.",
              std::nullopt, "No recall values in this audit."};
  json labels = json::array(), sets = json::array();
  for (const char* s : kSplitNames) labels.push_back(fmt::format("{} R@1", s));
  for (const Row& row : rows)
    sets.push_back(dataset(row.name, values({row.r1.begin(), row.r1.end()}), row.colour));
  c.config = chart("bar", labels, sets, {{"scales", {{"y", {{"title", axis_title("R@1 (%)")}}}}}});
  return c;
}

ChartSpec gaps_chart(const std::vector<Row>& rows) {
  ChartSpec c{"gaps", "Gap to retrain",
              "|method − retrain| in R@1 points; lower is better. The original's bars show how far "
              "apart the two models were before unlearning.",
              std::nullopt, "No gaps: the audit has no retrain reference to compare with."};
  json labels = json::array(), sets = json::array();
  std::array<std::vector<std::optional<double>>, 3> gap;
  for (const Row& row : rows) {
    if (row.role == "reference") continue;
    labels.push_back(row.name);
    for (size_t s = 0; s < gap.size(); ++s) gap[s].push_back(row.gap[s]);
  }
  for (size_t s = 0; s < gap.size(); ++s)
    sets.push_back(
        dataset(fmt::format("{} gap", kSplitNames[s]), values(gap[s]), kSplitColours[s]));
  c.config =
      chart("bar", labels, sets, {{"scales", {{"y", {{"title", axis_title("R@1 points")}}}}}});
  return c;
}

ChartSpec attack_chart(const std::vector<Row>& rows) {
  ChartSpec c{
      "attacks", "Can the deleted data still be told apart?",
      "Deleted-vs-remaining AUC ≈ 0.5: deleted pairs score like remaining ones. MIA AUC and "
      "the forget member rate should match retrain's.",
      std::nullopt, "No AUC or membership-inference values in this audit."};
  json labels = json::array();
  std::vector<std::optional<double>> auc, mia, member;
  for (const Row& row : rows) {
    labels.push_back(row.name);
    auc.push_back(row.auc);
    mia.push_back(row.mia_auc);
    member.push_back(row.member_rate);
  }
  json sets = {dataset("deleted-vs-remaining AUC", values(auc), kPalette[0]),
               dataset("MIA AUC", values(mia), kPalette[1]),
               dataset("forget member rate", values(member), kPalette[3])};
  c.config = chart("bar", labels, sets, {{"scales", {{"y", {{"min", 0}, {"max", 1}}}}}});
  return c;
}

json flat_line(const std::string& label, double y, size_t n, const std::string& colour) {
  json d = dataset(label, values(std::vector<std::optional<double>>(n, y)), colour);
  d["backgroundColor"] = "transparent";  // the legend shows the dashed outline only
  d["borderDash"] = {6, 4};
  d["pointRadius"] = 0;
  return d;
}

ChartSpec reanchoring_chart(const json& audit, const std::vector<Row>& rows) {
  ChartSpec c{"reanchoring", "Re-anchoring: forget R@1 over later rounds",
              "Federated rounds after unlearning. A curve climbing back towards the original means "
              "the forgotten knowledge is returning; the Forget Lock should hold it at retrain's "
              "level.",
              std::nullopt, "No re-anchoring curves in this audit (key \"reanchoring\")."};
  const json* ra = find(audit, "", "reanchoring", Kind::kObject);
  const json* rounds = ra ? find(*ra, "reanchoring", "rounds", Kind::kArray) : nullptr;
  const json* curves = ra ? find(*ra, "reanchoring", "curves", Kind::kObject) : nullptr;
  if (!rounds || !curves || rounds->empty() || curves->empty()) return c;
  json sets = json::array();
  size_t i = 0;
  for (const auto& [name, curve] : curves->items()) {
    std::string path = "reanchoring.curves." + name;
    LETHE_CHECK(curve.is_array() && curve.size() == rounds->size(),
                "audit key '{}': expected an array of {} values (one per round), got {}", path,
                rounds->size(),
                curve.is_array() ? std::to_string(curve.size()) : curve.type_name());
    for (const json& v : curve)
      LETHE_CHECK(v.is_number() || v.is_null(), "audit key '{}': expected numbers, got {}", path,
                  v.type_name());
    sets.push_back(dataset(name, curve, kPalette[i++ % kPalette.size()]));
  }
  c.config = chart("line", *rounds, sets,
                   {{"scales",
                     {{"x", {{"title", axis_title("round after unlearning")}}},
                      {"y", {{"title", axis_title("forget R@1 (%)")}}}}}});
  // The levels to read the curves against: where retrain and the original stand.
  for (const Row& row : rows)
    if (c.config && row.role != "method" && row.r1[0])
      (*c.config)["data"]["datasets"].push_back(
          flat_line(row.name + " (forget R@1)", *row.r1[0], rounds->size(), row.colour));
  return c;
}

ChartSpec cost_chart(const std::vector<Row>& rows) {
  ChartSpec c{"cost", "Cost as a fraction of retrain",
              "Wall time divided by retrain's wall time (1 = as expensive as retraining).",
              std::nullopt, "No cost values in this audit."};
  json labels = json::array(), colours = json::array();
  std::vector<std::optional<double>> cost;
  double lo = 1e300, hi = 0;
  for (const Row& row : rows) {
    if (!row.cost) continue;
    labels.push_back(row.name);
    colours.push_back(row.colour);
    cost.push_back(row.cost);
    lo = std::min(lo, *row.cost);
    hi = std::max(hi, *row.cost);
  }
  json set = dataset("× retrain wall time", values(cost), "");
  set["backgroundColor"] = set["borderColor"] = colours;
  // Costs span orders of magnitude (a closed-form method vs retraining): a log axis keeps the
  // cheap ones visible.
  bool log = lo > 0 && hi / lo > 20;
  json y = {{"type", log ? "logarithmic" : "linear"},
            {"title", axis_title(log ? "× retrain (log scale)" : "× retrain")}};
  c.config = chart("bar", labels, json::array({set}),
                   {{"plugins", {{"legend", {{"display", false}}}}}, {"scales", {{"y", y}}}});
  return c;
}

// ---- HTML

std::string escape_html(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  return out;
}

std::string fmt_num(const std::optional<double>& v, const char* spec) {
  return v ? fmt::format(fmt::runtime(spec), *v) : "—";
}

// One sentence for a reader in a hurry: the method closest to retrain on the headline pair of
// gaps (forget, retain; METHODS.md §6), against how far apart the original and retrain were.
std::string headline(const std::vector<Row>& rows) {
  const Row* best = nullptr;
  const Row* original = nullptr;
  for (const Row& row : rows) {
    if (row.role == "original") original = &row;
    if (row.role == "method" && row.gap[0] && row.gap[1] &&
        (!best || *row.gap[0] + *row.gap[1] < *best->gap[0] + *best->gap[1]))
      best = &row;
  }
  if (!best) return "";
  std::string s = fmt::format(
      "<p class=\"headline\">Closest to retrain: <b>{}</b>, {:.1f} points from it on the forget "
      "set and {:.1f} on the retained data (R@1)",
      escape_html(best->name), *best->gap[0], *best->gap[1]);
  if (best->cost) s += fmt::format(", at {:.3g}× retrain's wall time", *best->cost);
  if (original && original->gap[0] && original->gap[1])
    s += fmt::format(". Before unlearning the model was {:.1f} and {:.1f} points away",
                     *original->gap[0], *original->gap[1]);
  return s + ".</p>";
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// Library text inside <script>: "</script" would end the element early, and "<\/" means "</"
// in JS strings and regexes alike. `="http` gets its "p" written as \u0070 (the same character
// in any string, template or regex) so that no src="http / href="http appears in the file.
std::string library_for_script(std::string js) {
  replace_all(js, "</", "<\\/");
  replace_all(js, "src=\"http", "src=\"htt\\u0070");
  replace_all(js, "href=\"http", "href=\"htt\\u0070");
  return js;
}

// JSON inside <script>: '<', '>' and '&' can only occur inside JSON strings, where \u escapes
// mean the same; written so, no "</script>" or "<!--" can reach the HTML parser (Django's
// json_script does the same). Invalid UTF-8 in a name must not abort the report: it becomes
// U+FFFD.
std::string json_for_script(const json& data) {
  std::string s = data.dump(-1, ' ', false, json::error_handler_t::replace);
  replace_all(s, "<", "\\u003c");
  replace_all(s, ">", "\\u003e");
  replace_all(s, "&", "\\u0026");
  return s;
}

void results_table(std::string& out, const std::vector<Row>& rows) {
  // The smallest gap among the methods is highlighted per split.
  std::array<std::optional<double>, 3> best;
  for (const Row& row : rows)
    for (size_t s = 0; s < 3; ++s)
      if (row.role == "method" && row.gap[s] && (!best[s] || *row.gap[s] < *best[s]))
        best[s] = row.gap[s];
  out +=
      "<table class=\"results\"><thead><tr><th rowspan=\"2\">Method</th>"
      "<th colspan=\"3\">R@1 (%)</th><th colspan=\"3\">Gap to retrain (points)</th>"
      "<th colspan=\"3\">Attacks</th><th colspan=\"2\">Cost</th>"
      "<th rowspan=\"2\">Weights SHA-256</th></tr><tr>"
      "<th>forget</th><th>retain</th><th>test</th><th>forget</th><th>retain</th><th>test</th>"
      "<th title=\"deleted-vs-remaining AUC\">AUC</th><th>MIA AUC</th>"
      "<th title=\"fraction of deleted pairs the attack calls members\">member rate</th>"
      "<th>wall s</th><th>× retrain</th></tr></thead><tbody>\n";
  for (const Row& row : rows) {
    std::string tag = row.role == "original"    ? "<span class=\"tag\">before unlearning</span>"
                      : row.role == "reference" ? "<span class=\"tag\">reference</span>"
                                                : "";
    fmt::format_to(std::back_inserter(out),
                   "<tr class=\"{}\"><th scope=\"row\"><span class=\"swatch\" "
                   "style=\"background:{}\"></span>{}{}</th>",
                   row.role, row.colour, escape_html(row.name), tag);
    for (const auto& v : row.r1)
      fmt::format_to(std::back_inserter(out), "<td>{}</td>", fmt_num(v, "{:.1f}"));
    for (size_t s = 0; s < 3; ++s)
      fmt::format_to(
          std::back_inserter(out), "<td{}>{}</td>",
          row.role == "method" && row.gap[s] && row.gap[s] == best[s] ? " class=\"best\"" : "",
          fmt_num(row.gap[s], "{:.1f}"));
    for (const auto* v : {&row.auc, &row.mia_auc, &row.member_rate})
      fmt::format_to(std::back_inserter(out), "<td>{}</td>", fmt_num(*v, "{:.3f}"));
    fmt::format_to(std::back_inserter(out), "<td>{}</td><td>{}</td>", fmt_num(row.wall_s, "{:.1f}"),
                   fmt_num(row.cost, "{:.3g}"));
    if (row.sha256.empty())
      out += "<td>—</td></tr>\n";
    else
      fmt::format_to(std::back_inserter(out), "<td class=\"hash\" title=\"{0}\">{1}…</td></tr>\n",
                     escape_html(row.sha256), escape_html(row.sha256.substr(0, 12)));
  }
  out += "</tbody></table>\n";
  const Row* first = nullptr;
  bool agree = true;
  for (const Row& row : rows)
    if (row.gallery[0] || row.gallery[1] || row.gallery[2]) {
      if (!first) first = &row;
      agree = agree && row.gallery == first->gallery;
    }
  if (first)
    fmt::format_to(std::back_inserter(out),
                   "<p class=\"small\">Gallery sizes (R@K depends on them): forget {}, retain {}, "
                   "test {}.{}</p>\n",
                   fmt_num(first->gallery[0], "{:.0f}"), fmt_num(first->gallery[1], "{:.0f}"),
                   fmt_num(first->gallery[2], "{:.0f}"),
                   agree ? ""
                         : " <strong class=\"warn\">Warning: rows use different gallery sizes;"
                           " their R@1 values are not comparable.</strong>");
}

void notes_and_hashes(std::string& out, const std::vector<Row>& rows, const json& audit) {
  std::string notes, hashes;
  for (const Row& row : rows) {
    if (!row.note.empty())
      fmt::format_to(std::back_inserter(notes), "<li><b>{}</b>: {}</li>\n", escape_html(row.name),
                     escape_html(row.note));
    if (!row.sha256.empty())
      fmt::format_to(std::back_inserter(hashes),
                     "<tr><th scope=\"row\">{}</th><td class=\"hash\">{}</td></tr>\n",
                     escape_html(row.name), escape_html(row.sha256));
  }
  if (!notes.empty())
    out +=
        "<section id=\"notes\"><h2>Notes from the methods</h2><ul>\n" + notes + "</ul></section>\n";
  if (const json* e = find(audit, "", "per_module_E", Kind::kObject); e && !e->empty()) {
    out +=
        "<section id=\"modules\"><h2>Forget-exclusive directions per module</h2><p "
        "class=\"small\">|E|: "
        "directions excised from each weight matrix (EASE).</p><table class=\"narrow\">"
        "<thead><tr><th>module</th><th>|E|</th></tr></thead><tbody>\n";
    double total = 0;
    for (const auto& [module, count] : e->items()) {
      auto n = number(*e, "per_module_E", module);
      total += n.value_or(0);
      fmt::format_to(std::back_inserter(out), "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
                     escape_html(module), fmt_num(n, "{:g}"));
    }
    fmt::format_to(std::back_inserter(out),
                   "</tbody><tfoot><tr><th>total</th><td>{:g}</td></tr>"
                   "</tfoot></table></section>\n",
                   total);
  }
  if (!hashes.empty())
    out +=
        "<section id=\"weights\"><h2>Weights</h2><p class=\"small\">SHA-256 of each saved model, "
        "to check that "
        "the model deployed is the one audited.</p><table class=\"narrow\"><tbody>\n" +
        hashes + "</tbody></table></section>\n";
}

constexpr const char* kCss = R"css(
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--accent:#0072B2}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:28px 32px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:0 0 10px}h3{font-size:15px;margin:0 0 2px}
header{background:#fff;border:1px solid var(--line);border-top:4px solid var(--accent);border-radius:10px;padding:20px 24px;margin-bottom:20px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:14px 0 0}
dt{color:var(--muted)}dd{margin:0}
code,.hash{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:13px;word-break:break-all}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin-bottom:20px}
.guide{background:#eef6fb;border-color:#cfe3f1}.guide p{margin:4px 0}
.small{color:var(--muted);font-size:13px;margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
thead th{background:#f1f5f9;font-weight:600;text-align:center}
tbody th,tfoot th{text-align:left;font-weight:600}
table.narrow{width:auto;min-width:50%}table.narrow td{text-align:left;white-space:normal}
.headline{font-size:16px;margin:10px 0 0;padding:10px 14px;background:#f0fdf4;border-left:4px solid #16a34a;border-radius:6px}
tr.reference{background:#f3f4f6}tr.original{color:#4b5563}
td.best{background:#dcfce7;font-weight:600}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:8px}
.tag{margin-left:8px;font-size:11px;font-weight:500;color:var(--muted);border:1px solid var(--line);border-radius:8px;padding:0 6px}
.warn{color:#b91c1c}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(540px,1fr));gap:20px;margin-bottom:20px}
.charts section{margin:0}
.chart{position:relative;height:300px}
.absent{display:flex;align-items:center;justify-content:center;height:120px;color:var(--muted);border:1px dashed var(--line);border-radius:8px}
footer{color:var(--muted);font-size:12px;text-align:center}
@media print{body{background:#fff}section,header{break-inside:avoid}}
)css";

// Runs before Chart.js so that a failure anywhere (even in the library) marks the page.
constexpr const char* kGuardJs = R"js(
window.addEventListener("error", e => { document.body.dataset.error = String(e.message || e); });
window.addEventListener("unhandledrejection", e => { document.body.dataset.error = String(e.reason); });
)js";

constexpr const char* kRenderJs = R"js(
(() => {
  const data = JSON.parse(document.getElementById("lethe-data").textContent);
  const fmt = v => (v === null || v === undefined) ? "—" : String(+(+v).toPrecision(4));
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#374151";
  Chart.defaults.plugins.legend.position = "bottom";
  Chart.defaults.plugins.tooltip.callbacks.label = ctx => ctx.dataset.label + ": " + fmt(ctx.parsed.y);
  Chart.defaults.interaction.mode = "index";
  Chart.defaults.interaction.intersect = false;
  Chart.defaults.spanGaps = true;
  // Log axes: label the powers of ten only; Chart.js's default crowds 0.7, 0.8, 1 together.
  const decades = v => Math.abs(Math.log10(v) % 1) < 1e-9 ? fmt(v) : "";
  let rendered = 0;
  for (const spec of data.charts) {
    const canvas = document.getElementById("chart-" + spec.name);
    if (!canvas) throw new Error("no canvas for chart " + spec.name);
    for (const axis of Object.values(spec.config.options?.scales ?? {}))
      if (axis.type === "logarithmic") axis.ticks = { callback: decades };
    new Chart(canvas, spec.config);
    rendered += 1;
  }
  document.body.dataset.charts = String(rendered);
})();
)js";

}  // namespace

std::string render_report(const json& audit, const std::string& chartjs_path) {
  LETHE_CHECK(audit.is_object(), "audit: expected a JSON object, got {}", audit.type_name());
  LETHE_CHECK(file_exists(chartjs_path), "chart library not found at '{}': run scripts/setup",
              chartjs_path);
  std::string chartjs = read_file(chartjs_path);
  // The source map would be fetched by developer tools; the page must not reach for files.
  if (size_t p = chartjs.find("//# sourceMappingURL="); p != std::string::npos)
    chartjs.erase(p, chartjs.find('\n', p) - p);

  std::vector<Row> rows = read_rows(audit);
  std::vector<ChartSpec> charts = {
      training_chart(audit),          recall_chart(rows), gaps_chart(rows), attack_chart(rows),
      reanchoring_chart(audit, rows), cost_chart(rows)};
  std::string request = text(audit, "", "request");
  std::string manifest = text(audit, "", "manifest_sha256");
  auto forget_size = number(audit, "", "forget_size");
  const Row* ref = nullptr;
  for (const Row& row : rows)
    if (row.role == "reference") ref = &row;

  std::string out;
  auto put = std::back_inserter(out);
  fmt::format_to(put,
                 "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
                 // Belt and braces for "works offline": the browser itself refuses any fetch.
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "script-src 'unsafe-inline'; style-src 'unsafe-inline'\">\n"
                 "<title>Unlearning audit: {0}</title>\n<style>{1}</style></head>\n<body><main>\n"
                 "<header><h1>Unlearning audit</h1>{6}<dl>\n"
                 "<dt>Request</dt><dd><code>{0}</code></dd>\n"
                 "<dt>Forget set</dt><dd>{2} pairs</dd>\n"
                 "<dt>Manifest SHA-256</dt><dd><code>{3}</code></dd>\n"
                 "<dt>Reference</dt><dd>{4}</dd>\n"
                 "<dt>Generated by</dt><dd>Lethe {5}</dd>\n</dl></header>\n",
                 escape_html(request.empty() ? "—" : request), kCss, fmt_num(forget_size, "{:.0f}"),
                 escape_html(manifest.empty() ? "—" : manifest),
                 ref ? escape_html(ref->name) +
                           " (a model trained from scratch without the forget "
                           "set" +
                           (ref->wall_s ? fmt::format(", {:.1f} s", *ref->wall_s) : "") + ")"
                     : "none in this audit: gaps and costs cannot be computed",
                 kVersion, headline(rows));
  out +=
      "<section class=\"guide\"><h2>How to read this report</h2>"
      "<p>Retrain, a model trained from scratch without the deleted data, is the gold standard "
      "of forgetting. An unlearning method did its job when its numbers sit close to "
      "retrain's: small <b>gaps</b> on the forget set (it forgot as much as retrain) and on "
      "the retain and test sets (it kept what it should), attack scores like retrain's, at a "
      "fraction of retrain's cost.</p><p class=\"small\">R@1: percentage of queries whose "
      "correct match ranks first (mean of image→text and text→image). Smallest gap per column "
      "among the methods is highlighted.</p></section>\n";
  out += "<section id=\"results\"><h2>Results</h2>\n";
  results_table(out, rows);
  out += "</section>\n<div class=\"charts\" id=\"charts\">\n";
  json chart_data = json::array();
  for (const ChartSpec& c : charts) {
    fmt::format_to(put, "<section><h3>{}</h3><p class=\"small\">{}</p>", escape_html(c.title),
                   escape_html(c.caption));
    if (c.config) {
      fmt::format_to(put, "<div class=\"chart\"><canvas id=\"chart-{}\"></canvas></div>", c.name);
      chart_data.push_back({{"name", c.name}, {"config", *c.config}});
    } else {
      fmt::format_to(put, "<div class=\"absent\" id=\"absent-{}\">{}</div>", c.name,
                     escape_html(c.absent));
    }
    out += "</section>\n";
  }
  out += "</div>\n";
  notes_and_hashes(out, rows, audit);
  fmt::format_to(put,
                 "<footer>Generated by Lethe {}. Self-contained: this file makes no network "
                 "requests. Charts drawn with Chart.js (MIT licence), included below.</footer>\n"
                 "</main>\n<script>{}</script>\n<script>{}</script>\n",
                 kVersion, kGuardJs, library_for_script(chartjs));
  fmt::format_to(put, "<script type=\"application/json\" id=\"lethe-data\">{}</script>\n",
                 json_for_script({{"audit", audit}, {"charts", chart_data}}));
  fmt::format_to(put, "<script>{}</script>\n</body></html>\n", kRenderJs);
  return out;
}

std::string chartjs_default_path() {
  const char* data = std::getenv("LETHE_DATA");
  const char* home = std::getenv("HOME");
  std::string root = data && *data ? data : std::string(home ? home : ".") + "/.cache/lethe";
  return root + "/npm/node_modules/chart.js/dist/chart.umd.js";
}

void write_report(const std::string& path, const json& audit) {
  write_file_atomic(path, render_report(audit, chartjs_default_path()));
}

}  // namespace lethe::unlearn
