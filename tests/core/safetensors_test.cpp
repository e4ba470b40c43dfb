#include "lethe/core/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "core/test_util.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"

namespace lethe {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

// A file from a header text and a data buffer (no padding: readers must not require it).
std::string craft(const std::string& header, const std::string& data = {}) {
  return le64(header.size()) + header + data;
}

// The InputError message of parsing `bytes` as file "hostile.safetensors".
std::string parse_error(const std::string& bytes) {
  try {
    parse_safetensors(bytes, "hostile.safetensors");
  } catch (const InputError& e) {
    return e.what();
  }
  return "parsed without error";
}

void expect_same(const TensorMap& a, const TensorMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    const auto& u = b.at(name);
    EXPECT_EQ(t.scalar_type(), u.scalar_type()) << name;
    EXPECT_EQ(t.sizes(), u.sizes()) << name;
    EXPECT_TRUE(torch::equal(t, u)) << name;
  }
}

TEST(Safetensors, RoundTripEveryDtypeWithMetadata) {
  torch::manual_seed(0);
  TensorMap t{
      {"f32", torch::randn({3, 4})},
      {"f16", torch::randn({5}).to(torch::kFloat16)},
      {"bf16", torch::randn({2, 3}).to(torch::kBFloat16)},
      {"i64", torch::randint(-1000000, 1000000, {7}, torch::kInt64)},
      {"i32", torch::randint(-1000, 1000, {2, 2}, torch::kInt32)},
      {"u8", torch::randint(0, 256, {9}, torch::kUInt8)},
      {"bool", torch::randint(0, 2, {3}).to(torch::kBool)},
      {"scalar", torch::tensor(3.5)},
      {"empty", torch::zeros({0, 3})},
      {"layer.0.weight ünïcødé", torch::ones({1})},
  };
  std::map<std::string, std::string> meta{{"format", "pt"}, {"note", "multi\nline ✓"}};
  auto path = (lethe::testing::temp_dir() / "sub" / "m.safetensors").string();
  write_safetensors(path, t, meta);
  auto f = read_safetensors(path);
  expect_same(t, f.tensors);
  EXPECT_EQ(f.metadata, meta);
  EXPECT_EQ(f.tensors.at("scalar").dim(), 0);
  EXPECT_EQ(read_file(path), serialize_safetensors(t, meta));
}

TEST(Safetensors, EmptyMapAndNonContiguousInput) {
  auto f = parse_safetensors(serialize_safetensors({}), "empty");
  EXPECT_TRUE(f.tensors.empty());
  EXPECT_TRUE(f.metadata.empty());
  auto m = torch::arange(12, torch::kFloat32).reshape({3, 4});
  auto g = parse_safetensors(serialize_safetensors({{"t", m.t()}}), "t");
  EXPECT_TRUE(torch::equal(g.tensors.at("t"), m.t()));
}

TEST(Safetensors, ByteLayoutMatchesUpstream) {
  // huggingface/safetensors bindings/python/tests/test_simple.py, test_serialization:
  // save({"test": np.zeros((2, 2), dtype=np.int32)}).
  std::string expected = std::string("@\0\0\0\0\0\0\0", 8) +
                         R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})" +
                         "    " + std::string(16, '\0');
  EXPECT_EQ(serialize_safetensors({{"test", torch::zeros({2, 2}, torch::kInt32)}}), expected);
}

TEST(Safetensors, LayoutIsAlignedPaddedAndContiguous) {
  TensorMap t{{"a", torch::ones({3}, torch::kUInt8)},
              {"b", torch::full({2}, 1.5f)},
              {"c", torch::full({1}, 7, torch::kInt64)}};
  std::string bytes = serialize_safetensors(t, {{"k", "v"}});
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  ASSERT_EQ(n % 8, 0u);
  std::string header = bytes.substr(8, n);
  EXPECT_THAT(header, StartsWith(R"({"__metadata__":{"k":"v"},"c":{"dtype":"I64")"));
  EXPECT_EQ(header.find_last_not_of(' '), header.find_last_of('}'));
  auto j = nlohmann::json::parse(header);
  // Widest dtype first: I64 at 0, F32 at 8, U8 at 16.
  EXPECT_EQ(j["c"]["data_offsets"], nlohmann::json({0, 8}));
  EXPECT_EQ(j["b"]["data_offsets"], nlohmann::json({8, 16}));
  EXPECT_EQ(j["a"]["data_offsets"], nlohmann::json({16, 19}));
  EXPECT_EQ(j["b"]["shape"], nlohmann::json({2}));
  ASSERT_EQ(bytes.size(), 8 + n + 19);
  float f;
  std::memcpy(&f, bytes.data() + 8 + n + 8, 4);
  EXPECT_EQ(f, 1.5f);
  EXPECT_EQ(bytes[8 + n], 7);
}

TEST(Safetensors, ReadsUpstreamFileWithMetadata) {
  // huggingface/safetensors bindings/python/tests/test_simple.py (header padded with spaces).
  std::string header = R"({"__metadata__":{"framework":"pt"},)"
                       R"("test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})"
                       "       ";
  ASSERT_EQ(header.size(), 0x66u);
  auto f = parse_safetensors(craft(header, std::string(16, '\0')), "upstream");
  EXPECT_TRUE(torch::equal(f.tensors.at("test1"), torch::zeros({2, 2}, torch::kInt32)));
  EXPECT_EQ(f.metadata.at("framework"), "pt");
}

TEST(Safetensors, WriterRejectsWhatItCannotRepresent) {
  auto err = [](const TensorMap& t, const std::map<std::string, std::string>& m = {}) {
    try {
      serialize_safetensors(t, m);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(err({{"d", torch::zeros({2}, torch::kFloat64)}}),
            "cannot write tensor 'd' as safetensors: dtype Double is not one of I64, F32, I32, "
            "BF16, F16, U8, BOOL");
  EXPECT_EQ(err({{"__metadata__", torch::zeros({1})}}),
            "cannot write a tensor named '__metadata__'");
  EXPECT_EQ(err({{"u", torch::Tensor()}}), "cannot write tensor 'u': it is undefined");
  EXPECT_EQ(err({{"bad\xff", torch::zeros({1})}}),
            "cannot write tensor 'bad\xff': its name is not valid UTF-8");
  EXPECT_EQ(err({}, {{"k", "\xc0\x80"}}), "cannot write safetensors metadata 'k': not valid UTF-8");
}

TEST(Safetensors, MissingFileNamesThePath) {
  EXPECT_THAT(
      [] {
        try {
          read_safetensors("/nonexistent/x.safetensors");
        } catch (const InputError& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      HasSubstr("'/nonexistent/x.safetensors'"));
}

// ---- hostile input: one distinct error per problem, each naming the file ----

const std::string kPrefix = "safetensors file 'hostile.safetensors': ";

std::string entry(const std::string& name, const std::string& body) {
  return fmt::format(R"("{}":{{{}}})", name, body);
}

// A header object from entries.
std::string header(const std::vector<std::string>& entries) {
  return fmt::format("{{{}}}", fmt::join(entries, ","));
}

// The error for a header holding one tensor 't' with the given fields.
std::string tensor_error(const std::string& body, const std::string& data = {}) {
  return parse_error(craft(header({entry("t", body)}), data));
}

TEST(SafetensorsHostile, ShorterThanLengthField) {
  EXPECT_EQ(parse_error(""), kPrefix + "file is 0 bytes, shorter than the 8-byte header length");
  EXPECT_EQ(parse_error("abcdefg"),
            kPrefix + "file is 7 bytes, shorter than the 8-byte header length");
}

TEST(SafetensorsHostile, HeaderLengthPastEndOfFile) {
  EXPECT_EQ(parse_error(le64(100) + "{}"),
            kPrefix + "header length 100 runs past the end of the 10-byte file");
  EXPECT_EQ(parse_error(le64(~0ull >> 40)),  // within the limit, beyond the file
            kPrefix + "header length 16777215 runs past the end of the 8-byte file");
}

TEST(SafetensorsHostile, HeaderLengthOverLimit) {
  EXPECT_EQ(parse_error(le64(kSafetensorsMaxHeader + 1) + "{}"),
            kPrefix + "header length 104857601 exceeds the 104857600-byte limit");
  EXPECT_EQ(parse_error(le64(~0ull)),
            kPrefix + "header length 18446744073709551615 exceeds the 104857600-byte limit");
}

TEST(SafetensorsHostile, HeaderNotUtf8) {
  EXPECT_EQ(parse_error(craft("{\"a\xff\":1}")),
            kPrefix + "header is not valid UTF-8 (byte 3 of the header)");
  EXPECT_EQ(parse_error(craft("{\"\xc0\xaf\":1}")),  // overlong '/'
            kPrefix + "header is not valid UTF-8 (byte 2 of the header)");
  EXPECT_EQ(parse_error(craft("{\"\xed\xa0\x80\":1}")),  // UTF-16 surrogate
            kPrefix + "header is not valid UTF-8 (byte 2 of the header)");
  EXPECT_EQ(parse_error(craft("{\"\xe2\x82")),  // truncated sequence
            kPrefix + "header is not valid UTF-8 (byte 2 of the header)");
}

TEST(SafetensorsHostile, HeaderNotJson) {
  EXPECT_THAT(parse_error(craft("{\"a\":")), StartsWith(kPrefix + "header is not valid JSON: "));
  EXPECT_THAT(parse_error(craft("")), StartsWith(kPrefix + "header is not valid JSON: "));
  EXPECT_THAT(parse_error(craft("{} trailing")),
              StartsWith(kPrefix + "header is not valid JSON: "));
  std::string one_line = parse_error(craft("{\n\"a\":\n"));
  EXPECT_EQ(one_line.find('\n'), std::string::npos) << one_line;
}

TEST(SafetensorsHostile, HeaderNotAnObject) {
  EXPECT_EQ(parse_error(craft("[1,2]")), kPrefix + "header is not a JSON object (got array)");
  EXPECT_EQ(parse_error(craft("\"x\"")), kPrefix + "header is not a JSON object (got string)");
}

TEST(SafetensorsHostile, DeepNestingAndDuplicates) {
  EXPECT_EQ(parse_error(craft("{\"a\":[[[[[[1]]]]]]}")),
            kPrefix + "header nests deeper than a safetensors header can");
  EXPECT_EQ(parse_error(craft(std::string(200000, '[') + std::string(200000, ']'))),
            kPrefix + "header nests deeper than a safetensors header can");
  std::string e = R"("dtype":"U8","shape":[1],"data_offsets":[0,1])";
  EXPECT_EQ(parse_error(craft(header({entry("t", e), entry("t", e)}), "x")),
            kPrefix + "header names 't' twice");
}

TEST(SafetensorsHostile, EntryFieldsMissingOrMistyped) {
  EXPECT_EQ(parse_error(craft(R"({"t":5})")), kPrefix + "tensor 't' must be an object, got number");
  EXPECT_EQ(tensor_error(R"("shape":[],"data_offsets":[0,4])"),
            kPrefix + "tensor 't' has no 'dtype'");
  EXPECT_EQ(tensor_error(R"("dtype":"F32","data_offsets":[0,4])"),
            kPrefix + "tensor 't' has no 'shape'");
  EXPECT_EQ(tensor_error(R"("dtype":"F32","shape":[])"),
            kPrefix + "tensor 't' has no 'data_offsets'");
  EXPECT_EQ(tensor_error(R"("dtype":7,"shape":[],"data_offsets":[0,4])"),
            kPrefix + "tensor 't' dtype must be a string");
  EXPECT_EQ(tensor_error(R"("dtype":"F32","shape":3,"data_offsets":[0,4])"),
            kPrefix + "tensor 't' shape must be a list of at most 64 integers");
  EXPECT_EQ(tensor_error(R"("dtype":"F32","shape":[1.5],"data_offsets":[0,4])"),
            kPrefix + "tensor 't' shape [1.5] must hold non-negative integers");
  EXPECT_EQ(
      tensor_error(R"("dtype":"F32","shape":[],"data_offsets":[0])"),
      kPrefix + "tensor 't' data_offsets must be [begin, end] with non-negative integers, got [0]");
  EXPECT_EQ(
      tensor_error(R"("dtype":"F32","shape":[],"data_offsets":[-4,0])"),
      kPrefix +
          "tensor 't' data_offsets must be [begin, end] with non-negative integers, got [-4,0]");
  std::string many = "[1";
  for (int i = 0; i < 64; ++i) many += ",1";
  many += "]";
  EXPECT_EQ(tensor_error(R"("dtype":"F32","shape":)" + many + R"(,"data_offsets":[0,4])"),
            kPrefix + "tensor 't' shape must be a list of at most 64 integers");
}

TEST(SafetensorsHostile, UnknownDtype) {
  EXPECT_EQ(
      tensor_error(R"("dtype":"F64","shape":[],"data_offsets":[0,8])"),
      kPrefix +
          "tensor 't' has unsupported dtype 'F64' (supported: I64, F32, I32, BF16, F16, U8, BOOL)");
}

TEST(SafetensorsHostile, NegativeOrOverflowingShape) {
  EXPECT_EQ(tensor_error(R"("dtype":"F32","shape":[-1],"data_offsets":[0,4])"),
            kPrefix + "tensor 't' shape [-1] must hold non-negative integers");
  EXPECT_EQ(tensor_error(R"("dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4])"),
            kPrefix + "tensor 't' shape [4294967296,4294967296] overflows");
  EXPECT_EQ(tensor_error(R"("dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4])"),
            kPrefix + "tensor 't' shape [9223372036854775808] overflows");
  // Fits int64 as an element count, but not in bytes.
  EXPECT_EQ(tensor_error(R"("dtype":"I64","shape":[4611686018427387904],"data_offsets":[0,4])"),
            kPrefix + "tensor 't' shape [4611686018427387904] overflows");
  // Empty, but its strides would overflow.
  EXPECT_EQ(tensor_error(R"("dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0])"),
            kPrefix + "tensor 't' shape [0,4294967296,4294967296] overflows");
}

TEST(SafetensorsHostile, OffsetsEndBeforeBegin) {
  EXPECT_EQ(tensor_error(R"("dtype":"U8","shape":[0],"data_offsets":[4,0])", "xxxx"),
            kPrefix + "tensor 't' data_offsets [4, 0] end before begin");
}

TEST(SafetensorsHostile, OffsetsDisagreeWithShape) {
  EXPECT_EQ(tensor_error(R"("dtype":"F32","shape":[2],"data_offsets":[0,4])", "xxxx"),
            kPrefix + "tensor 't' data_offsets [0, 4] span 4 bytes but shape [2] of F32 needs 8");
}

TEST(SafetensorsHostile, OffsetsBeyondBuffer) {
  EXPECT_EQ(tensor_error(R"("dtype":"U8","shape":[8],"data_offsets":[0,8])", "xxxx"),
            kPrefix + "tensor 't' data_offsets [0, 8] lie beyond the 4-byte data buffer");
}

TEST(SafetensorsHostile, OverlappingTensors) {
  std::string h = header({entry("a", R"("dtype":"U8","shape":[4],"data_offsets":[0,4])"),
                          entry("b", R"("dtype":"U8","shape":[4],"data_offsets":[2,6])")});
  EXPECT_EQ(parse_error(craft(h, "xxxxxx")),
            kPrefix + "tensors 'a' and 'b' overlap at byte 2 of the data buffer");
  // The same region twice.
  h = header({entry("a", R"("dtype":"U8","shape":[4],"data_offsets":[0,4])"),
              entry("b", R"("dtype":"U8","shape":[4],"data_offsets":[0,4])")});
  EXPECT_EQ(parse_error(craft(h, "xxxx")),
            kPrefix + "tensors 'a' and 'b' overlap at byte 0 of the data buffer");
}

TEST(SafetensorsHostile, GapsAndUncoveredBytes) {
  std::string h = header({entry("a", R"("dtype":"U8","shape":[2],"data_offsets":[0,2])"),
                          entry("b", R"("dtype":"U8","shape":[2],"data_offsets":[3,5])")});
  EXPECT_EQ(parse_error(craft(h, "xxxxx")),
            kPrefix + "bytes [2, 3) of the data buffer belong to no tensor");
  h = header({entry("a", R"("dtype":"U8","shape":[2],"data_offsets":[0,2])")});
  EXPECT_EQ(parse_error(craft(h, "xxxxx")),
            kPrefix + "bytes [2, 5) of the data buffer belong to no tensor");
  EXPECT_EQ(parse_error(craft("{}", "x")),
            kPrefix + "bytes [0, 1) of the data buffer belong to no tensor");
}

TEST(SafetensorsHostile, UnsortedButContiguousIsAccepted) {
  // Header order is free; only coverage matters. Empty tensors may sit at any boundary.
  std::string h = header({entry("z", R"("dtype":"U8","shape":[2],"data_offsets":[0,2])"),
                          entry("a", R"("dtype":"U8","shape":[1],"data_offsets":[2,3])"),
                          entry("e", R"("dtype":"F32","shape":[0,5],"data_offsets":[2,2])")});
  auto f = parse_safetensors(craft(h, "\x01\x02\x03"), "ok");
  EXPECT_EQ(f.tensors.at("z")[1].item<uint8_t>(), 2);
  EXPECT_EQ(f.tensors.at("a")[0].item<uint8_t>(), 3);
  EXPECT_EQ(f.tensors.at("e").sizes(), (std::vector<int64_t>{0, 5}));
}

TEST(SafetensorsHostile, BoolBytesMustBeZeroOrOne) {
  std::string h = header({entry("m", R"("dtype":"BOOL","shape":[2],"data_offsets":[0,2])")});
  EXPECT_EQ(parse_error(craft(h, std::string("\x01\x02", 2))),
            kPrefix + "tensor 'm' (BOOL) holds byte 2 at offset 1");
}

TEST(SafetensorsHostile, MetadataNotStringToString) {
  EXPECT_EQ(parse_error(craft(R"({"__metadata__":[1]})")),
            kPrefix + "__metadata__ must be an object of strings, got array");
  EXPECT_EQ(parse_error(craft(R"({"__metadata__":{"a":"b","n":3}})")),
            kPrefix + "__metadata__ value 'n' must be a string, got number");
  EXPECT_EQ(parse_error(craft(R"({"__metadata__":{"a":null}})")),
            kPrefix + "__metadata__ value 'a' must be a string, got null");
}

TEST(SafetensorsHostile, ErrorsStayOneShortLine) {
  // Names from the file are quoted with control characters escaped...
  EXPECT_EQ(parse_error(craft(R"({"a\nb":{}})")), kPrefix + "tensor 'a\\x0ab' has no 'dtype'");
  // ...and cut short (at a character boundary) when huge.
  // 'é' straddles byte 400 of the error detail.
  std::string name = std::string(391, 'n') + "\xc3\xa9" + std::string(600, 'n');
  std::string msg = parse_error(craft(header({entry(name, "")})));
  EXPECT_EQ(msg, kPrefix + "tensor '" + std::string(391, 'n') + "\xc3\xa9...");
}

// Every truncation and many single-byte corruptions of a valid file either parse or throw
// InputError: never another exception or a crash (run under ASan/UBSan to check memory).
TEST(SafetensorsHostile, TruncationsAndByteFlipsAreInputErrors) {
  std::string good = serialize_safetensors({{"w", torch::ones({2, 3})},
                                            {"ids", torch::arange(4, torch::kInt64)},
                                            {"mask", torch::ones({3}, torch::kBool)}},
                                           {{"k", "v"}});
  auto outcome = [](const std::string& bytes) {
    try {
      parse_safetensors(bytes, "mutant");
      return 0;
    } catch (const InputError&) {
      return 1;
    }
  };
  int rejected = 0;
  for (size_t len = 0; len < good.size(); ++len) rejected += outcome(good.substr(0, len));
  EXPECT_EQ(rejected, static_cast<int>(good.size()));  // a truncated file is never valid
  for (size_t i = 0; i < good.size(); ++i) {
    for (char c : {'\0', '"', '{', ']', '9', '-', '\xff'}) {
      std::string bad = good;
      bad[i] = c;
      outcome(bad);
    }
  }
}

TEST(SafetensorsHostile, ReadFileNamesThePath) {
  auto path = (lethe::testing::temp_dir() / "bad.safetensors").string();
  write_file_atomic(path, le64(16) + "{\"a\":");
  try {
    read_safetensors(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "safetensors file '" + path + "': header length 16 runs past the end of the 13-byte file");
  }
}

}  // namespace
}  // namespace lethe
