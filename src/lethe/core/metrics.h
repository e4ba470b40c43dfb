#pragma once
// metrics.jsonl: one compact JSON object per line per event: "event" and "wall_s" (seconds
// since the writer opened) first, then the caller's fields in key order. Each line is flushed
// as it is written, so a crashed run keeps every event it reported.
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <string>

namespace lethe {

class MetricsWriter {
 public:
  MetricsWriter() = default;  // disabled: write() does nothing
  // Creates the parent folders; append keeps earlier lines (a resumed run).
  explicit MetricsWriter(const std::string& path, bool append = false);
  // fields: a JSON object without "event" / "wall_s" keys.
  void write(const std::string& event, nlohmann::json fields = nlohmann::json::object());
  double elapsed_s() const;
  bool enabled() const { return out_.is_open(); }

 private:
  std::string path_;
  std::ofstream out_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace lethe
