#include "lethe/core/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "lethe/core/strings.h"

namespace lethe::log {

Level level() {
  // Read on every call (getenv is a cheap scan) so a test or embedding program may change it.
  const char* env = std::getenv("LETHE_LOG");
  std::string_view v = env ? env : "";
  if (v == "debug") return Level::kDebug;
  if (v == "warn") return Level::kWarn;
  if (v == "quiet") return Level::kQuiet;
  static std::atomic<bool> warned{false};
  if (!v.empty() && v != "info" && !warned.exchange(true))
    write(Level::kWarn,
          fmt::format("LETHE_LOG='{}' is not one of debug|info|warn|quiet; using info", v));
  return Level::kInfo;
}

void write(Level lvl, const std::string& msg) {
  std::string line = "[lethe] ";
  if (lvl == Level::kWarn) line += "warning: ";
  if (lvl == Level::kDebug) line += "debug: ";
  line += printable(msg);  // input quoted in a message must not break the line or the encoding
  line += '\n';
  // One fwrite per line keeps lines from different threads whole.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace lethe::log
