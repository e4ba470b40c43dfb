#include "lethe/data/cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "data/test_util.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/safetensors.h"

namespace lethe::data {
namespace {

using ::testing::HasSubstr;

DataConfig config_in(const std::filesystem::path& root) {
  DataConfig cfg;
  cfg.name = "test";
  cfg.root = root.string();
  cfg.image_size = 4;
  return cfg;
}

// A build function that counts its calls and returns n distinct images.
struct CountingBuild {
  int calls = 0;
  int64_t n = 3;
  torch::Tensor operator()() {
    ++calls;
    return torch::arange(n * 3 * 4 * 4).remainder(251).to(torch::kUInt8).view({n, 3, 4, 4});
  }
};

TEST(ImageCache, BuildsOnceThenReads) {
  auto dir = testing::temp_dir();
  auto cfg = config_in(dir);
  CountingBuild build;
  auto fn = [&] { return build(); };
  const auto key = image_cache_key({"test", "a"});
  auto first = cached_images(cfg, key, 3, fn);
  EXPECT_TRUE(file_exists(image_cache_path(cfg, key)));
  EXPECT_EQ(image_cache_path(cfg, key), dir.string() + "/cache/" + key + ".safetensors");
  auto second = cached_images(cfg, key, 3, fn);
  EXPECT_EQ(build.calls, 1);
  EXPECT_TRUE(first.equal(second));
  cfg.cache = false;
  cached_images(cfg, key, 3, fn);
  EXPECT_EQ(build.calls, 2) << "cache = false always builds";
  cached_images(cfg, image_cache_key({"test", "b"}), 3, fn);
  EXPECT_FALSE(file_exists(image_cache_path(cfg, image_cache_key({"test", "b"}))));
}

TEST(ImageCache, KeysDependOnEveryPart) {
  const auto k = image_cache_key({"emoji", "32", "a.png 10 5"});
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(k, image_cache_key({"emoji", "32", "a.png 10 5"}));
  EXPECT_NE(k, image_cache_key({"emoji", "32", "a.png 10 6"}));
  EXPECT_NE(k, image_cache_key({"emoji", "32"}));
  EXPECT_NE(image_cache_key({"ab", "c"}), image_cache_key({"a", "bc"}));
}

TEST(ImageCache, FingerprintsChangeWithTheFile) {
  auto dir = testing::temp_dir();
  const std::string f = (dir / "x").string();
  write_file_atomic(f, "abc");
  const auto a = file_fingerprint(f);
  EXPECT_THAT(a, HasSubstr(f + " 3 "));
  struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), times, 0), 0);
  EXPECT_EQ(file_fingerprint(f), f + " 3 12345000000000");
  try {
    file_fingerprint((dir / "missing").string());
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot read file '" + (dir / "missing").string() + "'"));
  }
}

TEST(ImageCache, RebuildsACorruptFileWithAWarning) {
  auto dir = testing::temp_dir();
  auto cfg = config_in(dir);
  CountingBuild build;
  auto fn = [&] { return build(); };
  const auto key = image_cache_key({"test", "corrupt"});
  const auto path = image_cache_path(cfg, key);
  auto good = cached_images(cfg, key, 3, fn);
  write_file_atomic(path, "garbage");
  const auto before = image_cache_stats();
  ::testing::internal::CaptureStderr();
  auto again = cached_images(cfg, key, 3, fn);
  auto err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("warning: test: ignoring bad image cache " + path));
  EXPECT_THAT(err, HasSubstr("decoding again"));
  EXPECT_EQ(image_cache_stats().rejected - before.rejected, 1);
  EXPECT_EQ(build.calls, 2);
  EXPECT_TRUE(again.equal(good));
  // The rebuilt file is valid again.
  cached_images(cfg, key, 3, fn);
  EXPECT_EQ(build.calls, 2);

  // A well-formed file with the wrong contents is rejected too.
  write_safetensors(path, {{"images", torch::zeros({2, 3, 4, 4}, torch::kUInt8)}});
  ::testing::internal::CaptureStderr();
  cached_images(cfg, key, 3, fn);
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("'images' is Byte 2x3x4x4, expected Byte 3x3x4x4"));
  write_safetensors(path, {{"pixels", torch::zeros({3, 3, 4, 4}, torch::kUInt8)}});
  ::testing::internal::CaptureStderr();
  cached_images(cfg, key, 3, fn);
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("no 'images' tensor"));
  EXPECT_EQ(build.calls, 4);
}

TEST(ImageCache, AnUnwritableCacheIsOnlyAWarning) {
  auto dir = testing::temp_dir();
  write_file_atomic((dir / "root").string(), "a file where the data folder should be");
  auto cfg = config_in(dir / "root");
  CountingBuild build;
  ::testing::internal::CaptureStderr();
  auto images = cached_images(cfg, image_cache_key({"x"}), 3, [&] { return build(); });
  auto err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(images.size(0), 3);
  EXPECT_THAT(err, HasSubstr("warning: test: cannot write image cache ("));
}

}  // namespace
}  // namespace lethe::data
