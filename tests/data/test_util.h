#pragma once
// Helpers shared by the data tests: temp folders and PNG writing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/test_util.h"

// Static linkage: every test file that includes this gets its own private copy.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace lethe::testing {

inline std::filesystem::path temp_dir() { return test_temp_dir("data"); }

// Writes interleaved pixels (h×w×channels, channels 1–4) as a PNG; fails the test on error.
inline void write_png(const std::filesystem::path& path, int w, int h, int channels,
                      const std::vector<uint8_t>& pixels) {
  std::filesystem::create_directories(path.parent_path());
  ASSERT_EQ(pixels.size(), static_cast<size_t>(w) * h * channels);
  ASSERT_NE(stbi_write_png(path.c_str(), w, h, channels, pixels.data(), w * channels), 0) << path;
}

// A w×h RGB PNG of one colour.
inline void write_solid_png(const std::filesystem::path& path, int w, int h, uint8_t r, uint8_t g,
                            uint8_t b) {
  std::vector<uint8_t> px;
  for (int i = 0; i < w * h; ++i) px.insert(px.end(), {r, g, b});
  write_png(path, w, h, 3, px);
}

}  // namespace lethe::testing
