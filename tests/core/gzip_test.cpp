#include "lethe/core/gzip.h"

#include <gtest/gtest.h>

#include <random>

#include "core/test_util.h"

namespace lethe {
namespace {

using testing::expect_input_error;

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen() & 0xFF);
  return out;
}

TEST(Gzip, RoundTrips) {
  for (const std::string& data : {std::string(), std::string("#version: 0.2\ni n\nt h\n"),
                                  std::string(300000, 'a'), random_bytes(200000, 3)}) {
    const auto packed = gzip(data);
    EXPECT_TRUE(is_gzip(packed));
    EXPECT_EQ(gunzip(packed, "test data"), data);
  }
  EXPECT_LT(gzip(std::string(300000, 'a')).size(), 1000u);
  EXPECT_EQ(gzip("abc"), gzip("abc")) << "deterministic: no time stamp";
}

TEST(Gzip, JoinsMembersAndIgnoresZeroPadding) {
  EXPECT_EQ(gunzip(gzip("first ") + gzip("second"), "x"), "first second");
  EXPECT_EQ(gunzip(gzip("data") + std::string(16, '\0'), "x"), "data");
}

TEST(Gzip, CorruptDataNamesTheSource) {
  const auto packed = gzip(std::string(5000, 'z') + random_bytes(5000, 9));
  expect_input_error([&] { gunzip("plain text", "merges file 'm.txt'"); },
                     {"cannot decompress merges file 'm.txt': not gzip data"});
  expect_input_error([&] { gunzip(packed.substr(0, packed.size() / 2), "merges file 'm.gz'"); },
                     {"cannot decompress merges file 'm.gz': the gzip stream ends early"});
  std::string flipped = packed;
  flipped[packed.size() - 5] ^= 0x55;  // inside the CRC-32/length trailer
  expect_input_error([&] { gunzip(flipped, "merges file 'm.gz'"); },
                     {"cannot decompress merges file 'm.gz': incorrect"});
  expect_input_error([&] { gunzip(packed + "junk", "merges file 'm.gz'"); },
                     {"merges file 'm.gz': data after the end of the gzip stream"});
  expect_input_error([&] { gunzip(std::string("\x1f\x8b\x08\x00", 4), "f"); },
                     {"cannot decompress f: the gzip stream ends early"});
}

TEST(Gzip, RefusesOutputAboveTheBound) {
  const auto packed = gzip(std::string(100000, 'a'));
  EXPECT_EQ(gunzip(packed, "x", 100000).size(), 100000u);
  expect_input_error([&] { gunzip(packed, "merges file 'bomb.gz'", 99999); },
                     {"cannot decompress merges file 'bomb.gz': it decompresses to more than "
                      "99999 bytes"});
}

}  // namespace
}  // namespace lethe
