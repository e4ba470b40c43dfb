#include "lethe/core/metrics.h"

#include <filesystem>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"

namespace lethe {

namespace {
// Invalid UTF-8 in a caller's string becomes U+FFFD rather than losing the whole event.
std::string compact(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

MetricsWriter::MetricsWriter(const std::string& path, bool append) : path_(path) {
  make_dirs(std::filesystem::path(path).parent_path().string());
  out_.open(path, append ? std::ios::app : std::ios::trunc);
  LETHE_CHECK(out_.is_open(), "cannot open metrics file '{}' for writing", path);
}

void MetricsWriter::write(const std::string& event, nlohmann::json fields) {
  if (!enabled()) return;
  LETHE_ASSERT(fields.is_object() && !fields.contains("event") && !fields.contains("wall_s"));
  // Built by hand: nlohmann::json sorts keys, and "event" should lead every line.
  std::string line =
      fmt::format(R"({{"event":{},"wall_s":{})", compact(event), compact(elapsed_s()));
  for (const auto& [key, value] : fields.items())
    line += fmt::format(",{}:{}", compact(key), compact(value));
  line += "}\n";
  out_ << line;
  out_.flush();
  LETHE_ENSURE(out_.good(), "writing metrics file '{}' failed", path_);
}

double MetricsWriter::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

}  // namespace lethe
