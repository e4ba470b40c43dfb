#pragma once
// metrics.jsonl: one JSON object per line per event, each with "event" and "wall_s" (seconds
// since the writer opened) plus the caller's fields. Each line is flushed as it is written.
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <string>

namespace lethe {

class MetricsWriter {
 public:
  MetricsWriter() = default;  // disabled: write() does nothing
  explicit MetricsWriter(const std::string& path, bool append = false);
  void write(const std::string& event, nlohmann::json fields = nlohmann::json::object());
  double elapsed_s() const;
  bool enabled() const { return out_.is_open(); }

 private:
  std::ofstream out_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace lethe
