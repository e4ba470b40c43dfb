#include "lethe/rpc/tensor_stream.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/test_util.h"

namespace lethe::rpc {
namespace {

using lethe::testing::expect_input_error;
using lethe::testing::identical;

std::vector<v1::TensorChunk> chunks_of(const TensorMap& m) {
  std::vector<v1::TensorChunk> out;
  write_chunks(m, [&](const v1::TensorChunk& c) {
    out.push_back(c);
    return true;
  });
  return out;
}

TensorMap sample() {
  return {{"big", torch::randn({600, 700})},  // 1.68 MB: two chunks
          {"empty", torch::zeros({0, 3})},
          {"half", torch::randn({5}).to(torch::kBFloat16)},
          {"ids", torch::arange(7)}};
}

TEST(TensorStream, RoundTripsEveryDtypeAcrossChunksBitForBit) {
  const auto m = sample();
  const auto chunks = chunks_of(m);
  EXPECT_EQ(chunks.size(), 5u);  // big ×2, empty, half, ids
  for (const auto& c : chunks) EXPECT_LE(c.data().size(), kChunkBytes);
  TensorAssembler a(&m);
  for (const auto& c : chunks) a.add(c);
  EXPECT_TRUE(identical(a.finish(), m));
}

TEST(TensorStream, RejectsEveryKindOfDamage) {
  const auto m = sample();
  auto feed = [&](std::vector<v1::TensorChunk> chunks, const TensorMap* expected = nullptr) {
    TensorAssembler a(expected);
    for (const auto& c : chunks) a.add(c);
    a.finish();
  };
  auto chunks = chunks_of(m);
  {  // a flipped byte
    auto bad = chunks;
    (*bad[1].mutable_data())[10] ^= 1;
    expect_input_error([&] { feed(bad); }, {"big", "CRC"});
  }
  {  // a lost chunk
    auto bad = chunks;
    bad.erase(bad.begin() + 1);
    expect_input_error([&] { feed(bad); }, {"big", "ended after"});
  }
  {  // a chunk repeated
    auto bad = chunks;
    bad.insert(bad.begin() + 1, bad[1]);
    expect_input_error([&] { feed(bad); }, {"big", "offset"});
  }
  {  // data before a header
    expect_input_error([&] { feed({chunks[1]}); }, {"before its header"});
  }
  {  // a shape that does not match the byte count
    auto bad = chunks;
    bad[3].mutable_header()->set_nbytes(999);
    expect_input_error([&] { feed(bad); }, {"half", "999"});
  }
  {  // unknown dtype
    auto bad = chunks;
    bad[4].mutable_header()->set_dtype("complex1024");
    expect_input_error([&] { feed(bad); }, {"ids", "complex1024"});
  }
  {  // a layout other than expected: wrong shape, unknown name, missing tensor
    TensorMap expected = m;
    expected["ids"] = torch::arange(8);
    expect_input_error([&] { feed(chunks, &expected); }, {"ids", "[8]"});
    TensorMap fewer = m;
    fewer.erase("half");
    expect_input_error([&] { feed(chunks, &fewer); }, {"unexpected tensor 'half'"});
    TensorMap more = m;
    more["extra"] = torch::zeros({1});
    expect_input_error([&] { feed(chunks, &more); }, {"'extra' is missing"});
  }
  {  // sent twice
    auto bad = chunks;
    bad.push_back(chunks[4]);
    expect_input_error([&] { feed(bad); }, {"'ids' sent twice"});
  }
}

}  // namespace
}  // namespace lethe::rpc
