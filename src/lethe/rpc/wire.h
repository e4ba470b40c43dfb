#pragma once
// The JSON parts of the protocol: a task's FitConfig and an evaluation's result. Parsing is
// strict: a field of the wrong type or a missing one is an InputError naming it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "lethe/fl/client.h"

namespace lethe::rpc {

constexpr uint32_t kProtocolVersion = 1;

std::string fit_config_to_json(const fl::FitConfig& c);
fl::FitConfig fit_config_from_json(const std::string& text);

std::string metrics_to_json(const std::map<std::string, double>& metrics);
std::map<std::string, double> metrics_from_json(const std::string& text);

}  // namespace lethe::rpc
