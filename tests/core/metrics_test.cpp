#include "lethe/core/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "core/test_util.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/strings.h"

namespace lethe {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string> lines_of(const std::string& path) {
  auto lines = split(read_file(path), '\n');
  EXPECT_EQ(lines.back(), "");  // every line ends with a newline
  lines.pop_back();
  return lines;
}

TEST(Metrics, WritesOneCompactObjectPerEvent) {
  auto path = (lethe::testing::temp_dir() / "run" / "metrics.jsonl").string();
  {
    MetricsWriter m(path);
    EXPECT_TRUE(m.enabled());
    m.write("round", {{"round", 1}, {"loss", 2.5}, {"client", "c0"}});
    m.write("done");
    // Flushed per line: visible before the writer closes.
    EXPECT_EQ(lines_of(path).size(), 2u);
  }
  auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], StartsWith(R"({"event":"round","wall_s":)"));
  EXPECT_EQ(lines[0].find(' '), std::string::npos) << lines[0];
  auto a = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(a["round"], 1);
  EXPECT_EQ(a["loss"], 2.5);
  EXPECT_EQ(a["client"], "c0");
  EXPECT_GE(a["wall_s"].get<double>(), 0.0);
  auto b = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(b["event"], "done");
  EXPECT_EQ(b.size(), 2u);
  EXPECT_GE(b["wall_s"].get<double>(), a["wall_s"].get<double>());
}

TEST(Metrics, AppendKeepsEarlierLinesTruncateDoesNot) {
  auto path = (lethe::testing::temp_dir() / "metrics.jsonl").string();
  { MetricsWriter(path).write("a"); }
  { MetricsWriter(path, /*append=*/true).write("b"); }
  auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["event"], "b");
  { MetricsWriter(path).write("c"); }
  lines = lines_of(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["event"], "c");
}

TEST(Metrics, InvalidUtf8IsReplacedNotFatal) {
  auto path = (lethe::testing::temp_dir() / "metrics.jsonl").string();
  { MetricsWriter(path).write("e", {{"name", std::string("bad\xff")}}); }
  auto j = nlohmann::json::parse(lines_of(path)[0]);
  EXPECT_EQ(j["name"], "bad\xEF\xBF\xBD");
}

TEST(Metrics, DisabledWriterDoesNothing) {
  MetricsWriter m;
  EXPECT_FALSE(m.enabled());
  m.write("ignored", {{"x", 1}});
}

TEST(Metrics, ReservedKeysAreABug) {
  auto path = (lethe::testing::temp_dir() / "metrics.jsonl").string();
  MetricsWriter m(path);
  EXPECT_THROW(m.write("e", {{"event", "x"}}), std::logic_error);
  EXPECT_THROW(m.write("e", nlohmann::json::array({1, 2})), std::logic_error);
}

TEST(Metrics, UnopenableFileNamesThePath) {
  auto dir = lethe::testing::temp_dir();
  try {
    MetricsWriter m(dir.string());  // a folder, not a file
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot open metrics file '" + dir.string() + "'"));
  }
}

}  // namespace
}  // namespace lethe
