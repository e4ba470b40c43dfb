#include "lethe/data/fashion_mnist.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "data/test_util.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"

namespace lethe::data {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

void write_gz(const fs::path& path, const std::string& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
}

std::string u32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// IDX bytes: magic 0x0000080N, dims, then data.
std::string idx(const std::vector<uint32_t>& dims, const std::string& data) {
  std::string out = u32(0x0800 | static_cast<uint32_t>(dims.size()));
  for (auto d : dims) out += u32(d);
  return out + data;
}

// A fake Fashion-MNIST folder: `n` 4×4 images per split, image i filled with value 10·i and
// labelled i % 10.
void write_fixture(const fs::path& dir, uint32_t n_train, uint32_t n_test) {
  for (auto [prefix, n] : {std::pair<const char*, uint32_t>{"train", n_train}, {"t10k", n_test}}) {
    std::string px, labels;
    for (uint32_t i = 0; i < n; ++i) {
      px += std::string(16, static_cast<char>(10 * i));
      labels.push_back(static_cast<char>(i % 10));
    }
    write_gz(dir / (std::string(prefix) + "-images-idx3-ubyte.gz"), idx({n, 4, 4}, px));
    write_gz(dir / (std::string(prefix) + "-labels-idx1-ubyte.gz"), idx({n}, labels));
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

TEST(FashionMnist, ParsesGzippedIdx) {
  auto dir = testing::temp_dir();
  write_gz(dir / "a.gz", idx({2, 3}, "abcdef"));
  auto a = read_idx_gz((dir / "a.gz").string(), 2);
  EXPECT_EQ(a.dims, std::vector<int64_t>({2, 3}));
  EXPECT_EQ(a.data, "abcdef");
}

TEST(FashionMnist, RejectsBadIdxFiles) {
  auto dir = testing::temp_dir();
  auto path = [&](const char* n) { return (dir / n).string(); };
  write_gz(dir / "magic.gz", u32(0x00000d03) + u32(1) + u32(1) + u32(1) + "x");
  EXPECT_THAT(error_of([&] { read_idx_gz(path("magic.gz"), 3); }),
              HasSubstr("'" + path("magic.gz") + "' is not an IDX file of unsigned bytes (magic 0x00000d03)"));
  write_gz(dir / "ndim.gz", idx({4}, "abcd"));
  EXPECT_THAT(error_of([&] { read_idx_gz(path("ndim.gz"), 3); }),
              HasSubstr("IDX file '" + path("ndim.gz") + "' has 1 dimensions, expected 3"));
  write_gz(dir / "short.gz", std::string(2, '\0'));
  EXPECT_THAT(error_of([&] { read_idx_gz(path("short.gz"), 1); }),
              HasSubstr("IDX file '" + path("short.gz") + "' is too short (2 bytes) for its magic number"));
  write_gz(dir / "header.gz", u32(0x0803) + u32(2));
  EXPECT_THAT(error_of([&] { read_idx_gz(path("header.gz"), 3); }),
              HasSubstr("IDX file '" + path("header.gz") + "' is too short (8 bytes) for its header"));
  write_gz(dir / "zero.gz", idx({0}, ""));
  EXPECT_THAT(error_of([&] { read_idx_gz(path("zero.gz"), 1); }),
              HasSubstr("IDX file '" + path("zero.gz") + "' has size 0 in dimension 0"));
  write_gz(dir / "size.gz", idx({2, 2}, "abc"));
  EXPECT_THAT(error_of([&] { read_idx_gz(path("size.gz"), 2); }),
              HasSubstr("IDX file '" + path("size.gz") + "' holds 3 bytes of data, but its dimensions 2x2 need 4"));
  EXPECT_THAT(error_of([&] { read_idx_gz(path("missing.gz"), 1); }),
              HasSubstr("cannot read file '" + path("missing.gz") + "': no such file"));
  // A gzip stream cut short.
  write_gz(dir / "full.gz", idx({4000}, std::string(4000, 'x')));
  auto bytes = read_file(path("full.gz"));
  write_file_atomic(path("cut.gz"), bytes.substr(0, bytes.size() - 12));
  EXPECT_THAT(error_of([&] { read_idx_gz(path("cut.gz"), 1); }),
              HasSubstr("cannot decompress '" + path("cut.gz") + "': the gzip stream ends early"));
}

TEST(FashionMnist, LoadsAFixtureFolder) {
  auto dir = testing::temp_dir();
  write_fixture(dir, 12, 5);
  DataConfig cfg;
  cfg.name = "fashion-mnist";
  cfg.root = dir.string();
  cfg.image_size = 8;
  auto ds = load_fashion_mnist(cfg);
  EXPECT_NO_THROW(ds.check());
  EXPECT_EQ(ds.images.sizes().vec(), std::vector<int64_t>({17, 3, 8, 8}));
  EXPECT_EQ(ds.num_units(), 17);
  EXPECT_EQ(ds.train.size(), 12u);
  EXPECT_EQ(ds.test.size(), 5u);
  EXPECT_EQ(ds.captions.size(), 60u) << "10 classes × 6 templates, each once";
  EXPECT_EQ(ds.captions, fashion_captions()) << "caption id = class · templates + template";
  ASSERT_EQ(ds.caption_tags.size(), ds.captions.size());
  EXPECT_EQ(ds.caption_tags[8 * 6], std::vector<std::string>{"bag"});
  EXPECT_EQ(ds.image_ids[12], "test/00000");
  // Constant images stay constant through the 4 → 8 resize; channels are identical.
  EXPECT_TRUE(ds.images[3].eq(30).all().item<bool>());
  EXPECT_TRUE(ds.images[14].eq(20).all().item<bool>());
  for (int64_t p = 0; p < ds.num_pairs(); ++p) {
    const bool train = p < 12;
    const int64_t i = train ? p : p - 12;
    const int label = static_cast<int>(i % 10);
    EXPECT_EQ(ds.label("class", p), kFashionClasses[label]);
    EXPECT_EQ(ds.captions[ds.pairs[p].caption], fashion_caption(label, train, i));
  }
  EXPECT_EQ(ds.label("class", 9), "ankle boot");
  EXPECT_THAT(ds.captions[ds.pairs[9].caption], HasSubstr("an ankle boot"));
  EXPECT_THAT(ds.captions[ds.pairs[7].caption], HasSubstr("a sneaker"));
  for (const auto& caption : ds.captions) {
    EXPECT_THAT(caption, ::testing::Not(HasSubstr(" a an "))) << caption;
    EXPECT_THAT(caption, ::testing::Not(HasSubstr("grey an "))) << caption;
  }
  EXPECT_NE(std::find(ds.captions.begin(), ds.captions.end(),
                      "a grey ankle boot on a plain background"), ds.captions.end());
  std::set<std::string> templates_used;
  for (int64_t i = 0; i < 200; ++i) templates_used.insert(fashion_caption(0, true, i));
  EXPECT_EQ(templates_used.size(), 6u);
  cfg.limit = 3;
  auto small = load_fashion_mnist(cfg);
  EXPECT_EQ(small.train.size(), 3u);
  EXPECT_EQ(small.test.size(), 3u);
}

TEST(FashionMnist, RejectsInconsistentFiles) {
  auto dir = testing::temp_dir();
  write_fixture(dir, 4, 2);
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx({3}, std::string(3, '\1')));
  DataConfig cfg;
  cfg.root = dir.string();
  const std::string labels = (dir / "t10k-labels-idx1-ubyte.gz").string();
  EXPECT_THAT(error_of([&] { load_fashion_mnist(cfg); }),
              HasSubstr("'" + labels + "' has 3 labels but '" +
                        (dir / "t10k-images-idx3-ubyte.gz").string() + "' has 2 images"));
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx({2}, "\x01\x0c"));
  EXPECT_THAT(error_of([&] { load_fashion_mnist(cfg); }),
              HasSubstr("'" + labels + "': label 12 of image 1 is not a Fashion-MNIST class (0-9)"));
}

TEST(FashionMnist, NamesEveryFolderItLookedIn) {
  auto msg = error_of([] { find_fashion_mnist({"/nonexistent/a", "/nonexistent/b"}); });
  EXPECT_THAT(msg, HasSubstr("Fashion-MNIST not found in /nonexistent/a, /nonexistent/b: install "
                             "the Debian package dataset-fashion-mnist"));
  EXPECT_THAT(msg, HasSubstr("{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz"));
}

TEST(FashionMnist, LoadsTheInstalledFiles) {
  if (!file_exists(std::string(kFashionMnistSystemDir) + "/t10k-labels-idx1-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed in " << kFashionMnistSystemDir;
  DataConfig cfg;
  cfg.root = "/nonexistent";  // not a Fashion-MNIST folder: falls through to the system one
  cfg.limit = 20;
  auto ds = load_fashion_mnist(cfg);
  EXPECT_EQ(ds.images.sizes().vec(), std::vector<int64_t>({40, 3, 32, 32}));
  // The first training image of Fashion-MNIST is an ankle boot; the first test image too.
  EXPECT_EQ(ds.label("class", 0), "ankle boot");
  EXPECT_EQ(ds.label("class", 20), "ankle boot");
  EXPECT_GT(ds.images.to(torch::kFloat).std().item<float>(), 10.0f);
}

}  // namespace
}  // namespace lethe::data
