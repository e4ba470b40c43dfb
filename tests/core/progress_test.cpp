#include "lethe/core/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <regex>

#include "core/test_util.h"

namespace lethe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Env = lethe::testing::ScopedEnv;

// Captured stderr is a file, not a TTY: the plain-line form.
TEST(Progress, PlainFinalLine) {
  Env q("LETHE_QUIET", nullptr);
  Env l("LETHE_LOG", nullptr);
  ::testing::internal::CaptureStderr();
  {
    Progress p("train", 4, "step");
    for (int i = 0; i < 4; ++i) p.tick();
    p.set_note("loss 2.31");
    p.done();
    p.done();  // idempotent: one final line
  }
  std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(std::regex_match(
      out, std::regex(R"(train: 4/4 \(100%\) [0-9.]+ step/s done in \d+s loss 2\.31\n)")))
      << out;
}

TEST(Progress, DestructorFinishesTheLine) {
  Env q("LETHE_QUIET", nullptr);
  Env l("LETHE_LOG", nullptr);
  ::testing::internal::CaptureStderr();
  {
    Progress p("embed", 10);
    p.tick(3);
  }
  std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(
      std::regex_match(out, std::regex(R"(embed: 3/10 \(30%\) [0-9.]+ it/s done in \d+s\n)")))
      << out;
}

TEST(Progress, UnknownTotalShowsCountAndRateOnly) {
  Env q("LETHE_QUIET", nullptr);
  Env l("LETHE_LOG", nullptr);
  ::testing::internal::CaptureStderr();
  {
    Progress p("scan", 0, "file");
    p.tick(7);
  }
  std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(std::regex_match(out, std::regex(R"(scan: 7 file [0-9.]+ file/s done in \d+s\n)")))
      << out;
  EXPECT_THAT(out, Not(HasSubstr("%")));
  EXPECT_THAT(out, Not(HasSubstr("ETA")));
}

TEST(Progress, QuietIsSilent) {
  {
    Env q("LETHE_QUIET", "1");
    ::testing::internal::CaptureStderr();
    {
      Progress p("train", 2);
      p.tick(2);
      p.done();
    }
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  }
  {
    Env q("LETHE_QUIET", nullptr);
    Env l("LETHE_LOG", "quiet");
    ::testing::internal::CaptureStderr();
    { Progress p("train", 2); }
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  }
}

// On a terminal: one line redrawn in place with a bar, finished by a newline.
TEST(Progress, TtyBarRedrawsOneLine) {
  Env q("LETHE_QUIET", nullptr);
  Env l("LETHE_LOG", nullptr);
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(slave, STDERR_FILENO);
  {
    Progress p("train", 10, "step");
    p.tick(4);
    p.set_note("loss 1.00");
    p.done();
  }
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(slave);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) out.append(buf, n);
  ::close(master);
  // The first draw (0/10), redraws if the machine was slow, and the final draw; the terminal
  // turns "\n" into "\r\n".
  EXPECT_TRUE(std::regex_match(
      out, std::regex("\rtrain \\[\\.{20}\\] 0/10 step  0\\.0 step/s\x1b\\[K"
                      "(\r[^\r]*ETA \\d\\d:\\d\\d[^\r]*\x1b\\[K)*"
                      "\rtrain \\[#{8}\\.{12}\\] 4/10 step  [0-9.]+ step/s  in \\d\\d:\\d\\d  "
                      "loss 1\\.00\x1b\\[K\r\n")))
      << out;
}

}  // namespace
}  // namespace lethe
