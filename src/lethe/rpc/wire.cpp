#include "lethe/rpc/wire.h"

#include "lethe/core/error.h"

namespace lethe::rpc {

namespace {

nlohmann::json parse_object(const std::string& text, const char* what) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  LETHE_CHECK(j.is_object(), "{} is not a JSON object", what);
  return j;
}

}  // namespace

std::string fit_config_to_json(const fl::FitConfig& c) {
  return nlohmann::json{{"local_epochs", c.local_epochs}, {"local_steps", c.local_steps},
                        {"proximal_mu", c.proximal_mu},   {"lr_scale", c.lr_scale},
                        {"extra", c.extra}}
      .dump();
}

fl::FitConfig fit_config_from_json(const std::string& text) {
  const auto j = parse_object(text, "the task's fit config");
  auto field = [&](const char* key, auto is_type) -> const nlohmann::json& {
    LETHE_CHECK(j.contains(key) && is_type(j.at(key)), "the task's fit config lacks a valid '{}'", key);
    return j.at(key);
  };
  auto integer = [](const nlohmann::json& v) { return v.is_number_integer(); };
  auto number = [](const nlohmann::json& v) { return v.is_number(); };
  fl::FitConfig c;
  c.local_epochs = field("local_epochs", integer).get<int64_t>();
  c.local_steps = field("local_steps", integer).get<int64_t>();
  c.proximal_mu = field("proximal_mu", number).get<double>();
  c.lr_scale = field("lr_scale", number).get<double>();
  c.extra = field("extra", [](const nlohmann::json& v) { return v.is_object(); });
  LETHE_CHECK(c.local_epochs >= 1 && c.local_steps >= 0 && c.proximal_mu >= 0 && c.lr_scale > 0,
              "the task's fit config is out of range: {}", text);
  return c;
}

std::string metrics_to_json(const std::map<std::string, double>& metrics) {
  return nlohmann::json(metrics).dump();
}

std::map<std::string, double> metrics_from_json(const std::string& text) {
  if (text.empty()) return {};
  const auto j = parse_object(text, "the result's metrics");
  std::map<std::string, double> out;
  for (const auto& [k, v] : j.items()) {
    LETHE_CHECK(v.is_number(), "metric '{}' is not a number", k);
    out[k] = v.get<double>();
  }
  return out;
}

}  // namespace lethe::rpc
