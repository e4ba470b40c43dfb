#include "lethe/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "lethe/core/log.h"

namespace lethe {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kTtyInterval = std::chrono::milliseconds(100);  // at most ~10 redraws per second
constexpr auto kPlainInterval = std::chrono::seconds(10);      // logs stay readable
constexpr size_t kBarWidth = 20;

// "00:05", "12:34", "1:02:03" — the TTY form.
std::string clock_time(double s) {
  auto t = static_cast<int64_t>(std::max(0.0, s) + 0.5);
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{:02}:{:02}", t / 60, t % 60);
}

// "5s", "3m05s", "2h07m" — the plain-log form.
std::string short_time(double s) {
  auto t = static_cast<int64_t>(std::max(0.0, s) + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, t / 60 % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

// "12.3 step/s", or "24.1 s/round" when items are slower than one a second.
std::string rate_str(double rate, const std::string& unit) {
  if (rate > 0 && rate < 1) return fmt::format("{:.1f} s/{}", 1.0 / rate, unit);
  return fmt::format("{:.1f} {}/s", rate, unit);
}

void emit(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stderr);
  std::fflush(stderr);
}
}  // namespace

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total) {
  const char* q = std::getenv("LETHE_QUIET");
  quiet_ = (q && std::string_view(q) == "1") || log::level() == log::Level::kQuiet;
  tty_ = ::isatty(STDERR_FILENO) == 1;
  start_ = last_render_ = Clock::now();
  if (tty_ && !quiet_) render(false);
}

Progress::~Progress() {
  try {
    done();
  } catch (...) {  // a destructor must not throw; the line is cosmetic
  }
}

void Progress::tick(int64_t n) {
  count_ += n;
  if (quiet_ || finished_) return;
  auto now = Clock::now();
  if (now - last_render_ >= (tty_ ? Clock::duration(kTtyInterval) : kPlainInterval)) render(false);
}

void Progress::set_note(std::string note) { note_ = std::move(note); }

void Progress::done() {
  if (finished_) return;
  finished_ = true;
  if (!quiet_) render(true);
}

void Progress::render(bool final) {
  auto now = Clock::now();
  last_render_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(count_) / elapsed : 0.0;
  bool bounded = total_ > 0;
  // ETA only once a rate is known; the final line reports the time taken instead.
  bool eta_known = bounded && !final && count_ > 0 && rate > 0;
  double eta = eta_known ? static_cast<double>(std::max<int64_t>(total_ - count_, 0)) / rate : 0;
  std::string line;
  if (tty_) {
    line = fmt::format("\r{} ", label_);
    if (bounded) {
      double frac = std::clamp(static_cast<double>(count_) / static_cast<double>(total_), 0.0, 1.0);
      auto filled = static_cast<size_t>(kBarWidth * frac);
      line += fmt::format("[{}{}] {}/{} {}", std::string(filled, '#'),
                          std::string(kBarWidth - filled, '.'), count_, total_, unit_);
    } else {
      line += fmt::format("{} {}", count_, unit_);
    }
    line += "  " + rate_str(rate, unit_);
    if (final)
      line += "  in " + clock_time(elapsed);
    else if (eta_known)
      line += "  ETA " + clock_time(eta);
    if (!note_.empty()) line += "  " + note_;
    line += "\x1b[K";  // clear what a longer earlier line left behind
    if (final) line += "\n";
  } else {
    line = fmt::format("{}: ", label_);
    if (bounded)
      line += fmt::format("{}/{} ({}%)", count_, total_, count_ * 100 / total_);
    else
      line += fmt::format("{} {}", count_, unit_);
    line += " " + rate_str(rate, unit_);
    if (final)
      line += " done in " + short_time(elapsed);
    else if (eta_known)
      line += " ETA " + short_time(eta);
    if (!note_.empty()) line += " " + note_;
    line += "\n";
  }
  emit(line);
}

}  // namespace lethe
