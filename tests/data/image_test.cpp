#include "lethe/data/image.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/test_util.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/strings.h"
#include "lethe/data/dataset.h"

namespace lethe::data {
namespace {

using ::testing::HasSubstr;

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

TEST(DecodeImage, CompositesAlphaOverWhite) {
  auto dir = testing::temp_dir();
  // 2×2 RGBA: opaque red, fully transparent green, half-transparent black, opaque (10,20,30).
  std::vector<uint8_t> px = {255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 0, 128, 10, 20, 30, 255};
  testing::write_png(dir / "a.png", 2, 2, 4, px);
  auto img = decode_image(read_file((dir / "a.png").string()), "a.png");
  ASSERT_EQ(img.sizes().vec(), std::vector<int64_t>({3, 2, 2}));
  ASSERT_EQ(img.scalar_type(), torch::kUInt8);
  auto at = [&](int c, int y, int x) { return img[c][y][x].item<int>(); };
  EXPECT_EQ(at(0, 0, 0), 255);
  EXPECT_EQ(at(1, 0, 0), 0);
  EXPECT_EQ(at(2, 0, 0), 0);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(at(c, 0, 1), 255) << "transparent → white";
  for (int c = 0; c < 3; ++c) EXPECT_EQ(at(c, 1, 0), 127) << "black at α=128/255 over white";
  EXPECT_EQ(at(0, 1, 1), 10);
  EXPECT_EQ(at(1, 1, 1), 20);
  EXPECT_EQ(at(2, 1, 1), 30);
}

TEST(DecodeImage, GreyBecomesRgb) {
  auto dir = testing::temp_dir();
  testing::write_png(dir / "g.png", 3, 1, 1, {0, 100, 200});
  auto img = decode_image(read_file((dir / "g.png").string()), "g.png");
  ASSERT_EQ(img.sizes().vec(), std::vector<int64_t>({3, 1, 3}));
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(img[c][0][1].item<int>(), 100);
    EXPECT_EQ(img[c][0][2].item<int>(), 200);
  }
}

TEST(DecodeImage, ReadsJpeg) {
  auto dir = testing::temp_dir();
  std::vector<uint8_t> px;
  for (int i = 0; i < 16 * 16; ++i) px.insert(px.end(), {200, 40, 40});
  ASSERT_NE(stbi_write_jpg((dir / "r.jpg").c_str(), 16, 16, 3, px.data(), 95), 0);
  auto img = decode_image(read_file((dir / "r.jpg").string()), "r.jpg");
  ASSERT_EQ(img.sizes().vec(), std::vector<int64_t>({3, 16, 16}));
  EXPECT_NEAR(img[0].to(torch::kFloat).mean().item<float>(), 200, 4);
  EXPECT_NEAR(img[1].to(torch::kFloat).mean().item<float>(), 40, 4);
}

TEST(DecodeImage, RejectsWhatIsNotAnImage) {
  EXPECT_THAT(message_of([] { decode_image("hello, world", "notes.txt"); }),
              HasSubstr("image 'notes.txt' is not a valid PNG/JPEG: "));
  EXPECT_THAT(message_of([] { decode_image("", "empty.png"); }),
              HasSubstr("image 'empty.png' is not a valid PNG/JPEG: empty file"));
  auto dir = testing::temp_dir();
  testing::write_solid_png(dir / "t.png", 8, 8, 1, 2, 3);
  auto bytes = read_file((dir / "t.png").string());
  EXPECT_THAT(message_of([&] { decode_image(bytes.substr(0, bytes.size() / 2), "cut.png"); }),
              HasSubstr("image 'cut.png' is not a valid PNG/JPEG: "));
}

TEST(DecodeImage, ARefusalQuotingTheFilesBytesIsEscaped) {
  // A critical chunk of an unknown type right after IHDR: stb_image's reason quotes the type's
  // four bytes, here not UTF-8. The message must stay valid UTF-8 (printable() is idempotent on
  // exactly such text) and still name the image.
  auto dir = testing::temp_dir();
  testing::write_solid_png(dir / "t.png", 8, 8, 1, 2, 3);
  auto bytes = read_file((dir / "t.png").string());
  const size_t after_ihdr = 8 + 4 + 4 + 13 + 4;  // signature, then IHDR's length, type, data, CRC
  const std::string chunk("\0\0\0\0\x80\xff" "AB" "\0\0\0\0", 12);
  bytes.insert(after_ihdr, chunk);
  const auto msg = message_of([&] { decode_image(bytes, "odd.png"); });
  EXPECT_THAT(msg, HasSubstr("image 'odd.png' is not a valid PNG/JPEG: \\x80\\xFFAB PNG chunk not known"));
  EXPECT_EQ(printable(msg), msg);
}

TEST(ResizeCenterCrop, KeepsTheCentreOfTheShorterSide) {
  // 40×80 (H×W): left half red, right half blue → shorter side 20 gives 20×40, crop cols 10..29.
  auto img = torch::zeros({1, 3, 40, 80}, torch::kUInt8);
  img.index_put_({0, 0, torch::indexing::Slice(), torch::indexing::Slice(0, 40)}, 255);
  img.index_put_({0, 2, torch::indexing::Slice(), torch::indexing::Slice(40, 80)}, 255);
  auto out = resize_center_crop(img, 20);
  ASSERT_EQ(out.sizes().vec(), std::vector<int64_t>({1, 3, 20, 20}));
  ASSERT_EQ(out.scalar_type(), torch::kUInt8);
  EXPECT_EQ(out[0][0][10][1].item<int>(), 255);
  EXPECT_EQ(out[0][2][10][1].item<int>(), 0);
  EXPECT_EQ(out[0][0][10][18].item<int>(), 0);
  EXPECT_EQ(out[0][2][10][18].item<int>(), 255);
}

TEST(ResizeCenterCrop, TallImagesAndConstantsAndIdentity) {
  auto grey = torch::full({2, 3, 45, 30}, 77, torch::kUInt8);
  auto out = resize_center_crop(grey, 20);  // → 30×20, crop rows 5..24
  ASSERT_EQ(out.sizes().vec(), std::vector<int64_t>({2, 3, 20, 20}));
  EXPECT_TRUE(out.eq(77).all().item<bool>()) << "resampling must preserve a constant image";
  auto same = torch::randint(0, 256, {1, 3, 12, 12}, torch::kLong).to(torch::kUInt8);
  EXPECT_TRUE(resize_center_crop(same, 12).equal(same));
  // Shorter side already right: only the crop happens (offset (14 − 12) / 2 = 1).
  auto wide = torch::randint(0, 256, {1, 3, 12, 14}, torch::kLong).to(torch::kUInt8);
  EXPECT_TRUE(resize_center_crop(wide, 12).equal(wide.slice(3, 1, 13)));
  EXPECT_THAT(message_of([&] { resize_center_crop(same, 0); }),
              HasSubstr("image size must be positive, got 0"));
}

TEST(LoadImages, DecodesEveryFileInOrder) {
  auto dir = testing::temp_dir();
  std::vector<std::string> paths;
  for (int i = 0; i < 5; ++i) {
    auto p = dir / fmt::format("{}.png", i);
    testing::write_solid_png(p, 24, 24, static_cast<uint8_t>(i * 50), 0, 0);
    paths.push_back(p.string());
  }
  auto imgs = load_images(paths, 16);
  ASSERT_EQ(imgs.sizes().vec(), std::vector<int64_t>({5, 3, 16, 16}));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(imgs[i][0].eq(i * 50).all().item<bool>()) << i;
  paths.push_back((dir / "missing.png").string());
  EXPECT_THAT(message_of([&] { load_images(paths, 16); }),
              HasSubstr("cannot read file '" + (dir / "missing.png").string() + "'"));
}

TEST(LoadImages, MixedSizesMatchOneByOnePreprocessing) {
  auto dir = testing::temp_dir();
  std::vector<std::string> paths;
  const int sizes[][2] = {{20, 30}, {20, 30}, {17, 9}, {20, 30}, {40, 40}};
  for (int i = 0; i < 5; ++i) {
    std::vector<uint8_t> px;
    for (int k = 0; k < sizes[i][0] * sizes[i][1] * 3; ++k) px.push_back(static_cast<uint8_t>(k * 7 + i));
    auto p = dir / fmt::format("{}.png", i);
    testing::write_png(p, sizes[i][0], sizes[i][1], 3, px);
    paths.push_back(p.string());
  }
  auto imgs = load_images(paths, 12);
  for (int i = 0; i < 5; ++i) {
    auto one = resize_center_crop(decode_image(read_file(paths[i]), paths[i]).unsqueeze(0), 12);
    EXPECT_TRUE(imgs[i].equal(one[0])) << i;
  }
}

TEST(NormalizeImages, UsesClipMeanAndStd) {
  auto u8 = torch::zeros({1, 3, 2, 2}, torch::kUInt8);
  u8[0][0].fill_(255);
  auto x = normalize_images(u8);
  ASSERT_EQ(x.scalar_type(), torch::kFloat);
  ASSERT_EQ(x.sizes(), u8.sizes());
  EXPECT_NEAR(x[0][0][0][0].item<float>(), (1.0 - 0.48145466) / 0.26862954, 1e-5);
  EXPECT_NEAR(x[0][1][1][1].item<float>(), -0.4578275 / 0.26130258, 1e-5);
  EXPECT_NEAR(x[0][2][0][1].item<float>(), -0.40821073 / 0.27577711, 1e-5);
}

}  // namespace
}  // namespace lethe::data
