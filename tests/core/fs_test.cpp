#include "lethe/core/fs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "core/test_util.h"
#include "lethe/core/error.h"

namespace lethe {
namespace {

using ::testing::HasSubstr;

TEST(Fs, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Embedded NUL bytes are hashed, not treated as the end of the string.
  EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a"));
}

TEST(Fs, RemovesOnlyTheTemporariesOfProcessesThatAreGone) {
  auto dir = lethe::testing::temp_dir();
  const auto mine = fmt::format("b.json.tmp.{}", ::getpid());
  for (const auto& name :
       std::vector<std::string>{"sub/a.safetensors.tmp.99999999", mine, "c.tmp.x", "d.json", "sub/e.tmp"})
    write_file_atomic((dir / name).string(), "x");
  EXPECT_EQ(remove_stale_temporaries(dir.string()), 1);  // 99999999 is above any pid_max
  EXPECT_FALSE(std::filesystem::exists(dir / "sub/a.safetensors.tmp.99999999"));
  for (const auto& name : std::vector<std::string>{mine, "c.tmp.x", "d.json", "sub/e.tmp"})
    EXPECT_TRUE(std::filesystem::exists(dir / name)) << name;
  EXPECT_EQ(remove_stale_temporaries((dir / "missing").string()), 0);
}

TEST(Fs, WriteThenReadAndHashFile) {
  auto dir = lethe::testing::temp_dir();
  std::string path = (dir / "nested" / "deeper" / "f.bin").string();
  std::string bytes("x\0y\xff", 4);
  bytes += std::string(3 << 20, 'z');  // spans several 1 MiB hash chunks
  write_file_atomic(path, bytes);
  EXPECT_TRUE(file_exists(path));
  EXPECT_EQ(read_file(path), bytes);
  EXPECT_EQ(sha256_file(path), sha256_hex(bytes));
  // No temp file is left next to the target.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "nested" / "deeper")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(Fs, OverwriteReplacesContent) {
  auto dir = lethe::testing::temp_dir();
  std::string path = (dir / "f.txt").string();
  write_file_atomic(path, "first, longer content");
  write_file_atomic(path, "second");
  EXPECT_EQ(read_file(path), "second");
}

TEST(Fs, EmptyFile) {
  auto dir = lethe::testing::temp_dir();
  std::string path = (dir / "empty").string();
  write_file_atomic(path, "");
  EXPECT_EQ(read_file(path), "");
  EXPECT_EQ(sha256_file(path), sha256_hex(""));
}

TEST(Fs, MissingFileErrorsNameThePath) {
  auto dir = lethe::testing::temp_dir();
  std::string path = (dir / "nope.txt").string();
  EXPECT_FALSE(file_exists(path));
  try {
    read_file(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot read file '" + path + "'"));
    EXPECT_THAT(e.what(), HasSubstr("No such file"));
  }
  EXPECT_THROW(
      {
        try {
          sha256_file(path);
        } catch (const InputError& e) {
          EXPECT_THAT(e.what(), HasSubstr("cannot read file '" + path + "' to hash it"));
          throw;
        }
      },
      InputError);
}

TEST(Fs, DirectoryIsNotAFile) {
  auto dir = lethe::testing::temp_dir();
  try {
    read_file(dir.string());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("it is a directory"));
  }
  EXPECT_THROW(sha256_file(dir.string()), InputError);
}

TEST(Fs, UnwritablePathsAreInputErrors) {
  auto dir = lethe::testing::temp_dir();
  std::string blocker = (dir / "plain_file").string();
  write_file_atomic(blocker, "x");
  // A regular file where a parent folder should be.
  try {
    make_dirs(blocker + "/sub");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot create directory '" + blocker + "/sub'"));
  }
  try {
    write_file_atomic(blocker + "/sub/f.txt", "x");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot create directory"));
  }
  // Renaming a file over a directory fails after the temp file was written: it is cleaned up.
  auto target = dir / "is_a_dir";
  std::filesystem::create_directories(target / "child");
  try {
    write_file_atomic(target.string(), "x");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot write file '" + target.string() + "'"));
  }
  for (const auto& e : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(Fs, MakeDirsIsIdempotent) {
  auto dir = lethe::testing::temp_dir();
  auto sub = (dir / "a" / "b").string();
  make_dirs(sub);
  make_dirs(sub);
  make_dirs("");
  EXPECT_TRUE(std::filesystem::is_directory(sub));
}

}  // namespace
}  // namespace lethe
