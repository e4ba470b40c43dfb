#pragma once
// Minimal levelled logging to stderr ("[lethe] ..."). LETHE_LOG=debug|info|warn|quiet.
#include <fmt/format.h>

#include <string>

namespace lethe::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kQuiet = 3 };
Level level();
void write(Level lvl, const std::string& msg);

template <class... A>
void debug(fmt::format_string<A...> f, A&&... a) {
  if (level() <= Level::kDebug) write(Level::kDebug, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void info(fmt::format_string<A...> f, A&&... a) {
  if (level() <= Level::kInfo) write(Level::kInfo, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void warn(fmt::format_string<A...> f, A&&... a) {
  if (level() <= Level::kWarn) write(Level::kWarn, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace lethe::log
