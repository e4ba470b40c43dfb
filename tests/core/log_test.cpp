#include "lethe/core/log.h"

#include <gtest/gtest.h>

#include "core/test_util.h"

namespace lethe {
namespace {

// Sets LETHE_LOG for one scope (nullptr: unset).
struct LogLevel : lethe::testing::ScopedEnv {
  explicit LogLevel(const char* v) : ScopedEnv("LETHE_LOG", v) {}
};

std::string capture(void (*f)()) {
  ::testing::internal::CaptureStderr();
  f();
  return ::testing::internal::GetCapturedStderr();
}

void log_all() {
  log::debug("d {}", 1);
  log::info("i {}", 2);
  log::warn("w {}", 3);
}

TEST(Log, DefaultIsInfo) {
  LogLevel l(nullptr);
  EXPECT_EQ(log::level(), log::Level::kInfo);
  EXPECT_EQ(capture(log_all), "[lethe] i 2\n[lethe] warning: w 3\n");
}

TEST(Log, Levels) {
  {
    LogLevel l("debug");
    EXPECT_EQ(capture(log_all), "[lethe] debug: d 1\n[lethe] i 2\n[lethe] warning: w 3\n");
  }
  {
    LogLevel l("warn");
    EXPECT_EQ(capture(log_all), "[lethe] warning: w 3\n");
  }
  {
    LogLevel l("quiet");
    EXPECT_EQ(capture(log_all), "");
  }
}

TEST(Log, UnknownLevelWarnsOnceAndUsesInfo) {
  LogLevel l("verbose");
  std::string out = capture(log_all);
  EXPECT_EQ(out,
            "[lethe] warning: LETHE_LOG='verbose' is not one of debug|info|warn|quiet; using info\n"
            "[lethe] i 2\n[lethe] warning: w 3\n");
  EXPECT_EQ(capture(log_all), "[lethe] i 2\n[lethe] warning: w 3\n");
}

}  // namespace
}  // namespace lethe
