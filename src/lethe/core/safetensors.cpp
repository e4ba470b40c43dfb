#include "lethe/core/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"

namespace lethe {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this build copies raw bytes");

namespace {
using nlohmann::json;

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  uint64_t size;  // bytes per element
};
// In upstream's writing order (its Dtype enum, descending), which is also widest first.
constexpr DtypeInfo kDtypes[] = {
    {"I64", torch::kInt64, 8},     {"F32", torch::kFloat32, 4}, {"I32", torch::kInt32, 4},
    {"BF16", torch::kBFloat16, 2}, {"F16", torch::kFloat16, 2}, {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};
constexpr size_t kMaxDims = 64;  // far beyond any real tensor; bounds hostile headers

std::string supported_dtypes() {
  std::string out;
  for (const auto& d : kDtypes) out += (out.empty() ? "" : ", ") + std::string(d.name);
  return out;
}

// Byte offset of the first invalid UTF-8 sequence (overlong, surrogate, > U+10FFFF,
// truncated), or npos.
size_t invalid_utf8_at(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += len;
  }
  return std::string_view::npos;
}

// Error details quote names and values from the file: keep them one short, printable line.
std::string one_line(const std::string& s) {
  constexpr size_t kMaxBytes = 400;
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool continuation = (c & 0xC0) == 0x80;
    if (out.size() >= kMaxBytes && !continuation) return out + "...";
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += ch;
  }
  return out;
}

uint64_t read_u64_le(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// One tensor entry of the header, validated on its own (coverage is checked across entries).
struct Entry {
  std::string name;
  const DtypeInfo* dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

class HeaderParser {
 public:
  explicit HeaderParser(const std::string& file) : file_(file) {}

  template <class... A>
  [[noreturn]] void fail(fmt::format_string<A...> f, A&&... a) const {
    throw InputError(fmt::format("safetensors file '{}': {}", file_,
                                 one_line(fmt::format(f, std::forward<A>(a)...))));
  }

  json parse(std::string_view header) {
    if (size_t at = invalid_utf8_at(header); at != std::string_view::npos)
      fail("header is not valid UTF-8 (byte {} of the header)", at);
    std::set<std::string> names;
    // Containers open at depth 0 (the root), 1 (a tensor entry or __metadata__) and 2 (shape,
    // data_offsets); the bound is generous so a misplaced value gets its specific error.
    auto guard = [&](int depth, json::parse_event_t ev, json& j) {
      if ((ev == json::parse_event_t::object_start || ev == json::parse_event_t::array_start) &&
          depth > 3)
        fail("header nests deeper than a safetensors header can");
      if (ev == json::parse_event_t::key && depth == 1 &&
          !names.insert(j.get<std::string>()).second)
        fail("header names '{}' twice", j.get<std::string>());
      return true;
    };
    json h;
    try {
      h = json::parse(header.begin(), header.end(), guard);
    } catch (const json::exception& e) {
      fail("header is not valid JSON: {}", e.what());
    }
    if (!h.is_object()) fail("header is not a JSON object (got {})", h.type_name());
    return h;
  }

  std::map<std::string, std::string> metadata(const json& m) const {
    if (!m.is_object()) fail("__metadata__ must be an object of strings, got {}", m.type_name());
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : m.items()) {
      if (!v.is_string())
        fail("__metadata__ value '{}' must be a string, got {}", k, v.type_name());
      out.emplace(k, v.get<std::string>());
    }
    return out;
  }

  Entry entry(const std::string& name, const json& j) const {
    if (!j.is_object()) fail("tensor '{}' must be an object, got {}", name, j.type_name());
    const json* dtype = field(name, j, "dtype");
    if (!dtype->is_string()) fail("tensor '{}' dtype must be a string", name);
    Entry e{name, nullptr, {}, 0, 0};
    for (const auto& d : kDtypes)
      if (dtype->get<std::string>() == d.name) e.dtype = &d;
    if (!e.dtype)
      fail("tensor '{}' has unsupported dtype '{}' (supported: {})", name,
           dtype->get<std::string>(), supported_dtypes());

    const json* shape = field(name, j, "shape");
    if (!shape->is_array() || shape->size() > kMaxDims)
      fail("tensor '{}' shape must be a list of at most {} integers", name, kMaxDims);
    // Product of max(dim, 1): also bounds the strides LibTorch computes for empty tensors.
    uint64_t span = 1;
    bool empty = false;
    for (const auto& d : *shape) {
      if (!d.is_number_unsigned())  // nlohmann stores negative integers as signed
        fail("tensor '{}' shape {} must hold non-negative integers", name, shape->dump());
      uint64_t v = d.get<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          __builtin_mul_overflow(span, std::max<uint64_t>(v, 1), &span) ||
          span > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail("tensor '{}' shape {} overflows", name, shape->dump());
      empty = empty || v == 0;
      e.shape.push_back(static_cast<int64_t>(v));
    }
    uint64_t bytes = 0;
    if (!empty && __builtin_mul_overflow(span, e.dtype->size, &bytes))
      fail("tensor '{}' shape {} overflows", name, shape->dump());

    const json* off = field(name, j, "data_offsets");
    if (!off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      fail("tensor '{}' data_offsets must be [begin, end] with non-negative integers, got {}", name,
           off->dump());
    e.begin = (*off)[0].get<uint64_t>();
    e.end = (*off)[1].get<uint64_t>();
    if (e.end < e.begin)
      fail("tensor '{}' data_offsets [{}, {}] end before begin", name, e.begin, e.end);
    if (e.end - e.begin != bytes)
      fail("tensor '{}' data_offsets [{}, {}] span {} bytes but shape {} of {} needs {}", name,
           e.begin, e.end, e.end - e.begin, shape->dump(), e.dtype->name, bytes);
    return e;
  }

  // Entries must tile the data buffer exactly: sorted by offset, no overlap, no gap.
  void check_coverage(std::vector<Entry>& entries, uint64_t data_size) const {
    for (const auto& e : entries)
      if (e.end > data_size)
        fail("tensor '{}' data_offsets [{}, {}] lie beyond the {}-byte data buffer", e.name,
             e.begin, e.end, data_size);
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
    });
    uint64_t covered = 0;
    const Entry* prev = nullptr;
    for (const auto& e : entries) {
      if (e.begin < covered)
        fail("tensors '{}' and '{}' overlap at byte {} of the data buffer", prev->name, e.name,
             e.begin);
      if (e.begin > covered)
        fail("bytes [{}, {}) of the data buffer belong to no tensor", covered, e.begin);
      covered = e.end;
      prev = &e;
    }
    if (covered != data_size)
      fail("bytes [{}, {}) of the data buffer belong to no tensor", covered, data_size);
  }

 private:
  const json* field(const std::string& name, const json& j, const char* key) const {
    auto it = j.find(key);
    if (it == j.end()) fail("tensor '{}' has no '{}'", name, key);
    return &*it;
  }

  std::string file_;
};

torch::Tensor make_tensor(const Entry& e, const char* data, const HeaderParser& p) {
  auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype->type));
  if (e.end > e.begin) std::memcpy(t.data_ptr(), data + e.begin, e.end - e.begin);
  if (e.dtype->type == torch::kBool) {
    // LibTorch assumes bool bytes are 0 or 1; anything else is undefined behaviour.
    for (uint64_t i = e.begin; i < e.end; ++i)
      if (static_cast<unsigned char>(data[i]) > 1)
        p.fail("tensor '{}' (BOOL) holds byte {} at offset {}", e.name,
               static_cast<unsigned char>(data[i]), i);
  }
  return t;
}

const DtypeInfo& dtype_of(const std::string& name, const torch::Tensor& t) {
  for (const auto& d : kDtypes)
    if (d.type == t.scalar_type()) return d;
  throw InputError(fmt::format("cannot write tensor '{}' as safetensors: dtype {} is not one of {}",
                               name, c10::toString(t.scalar_type()), supported_dtypes()));
}
}  // namespace

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& name) {
  HeaderParser p(name);
  if (bytes.size() < 8)
    p.fail("file is {} bytes, shorter than the 8-byte header length", bytes.size());
  uint64_t n = read_u64_le(bytes.data());
  if (n > kSafetensorsMaxHeader)
    p.fail("header length {} exceeds the {}-byte limit", n, kSafetensorsMaxHeader);
  if (n > bytes.size() - 8)
    p.fail("header length {} runs past the end of the {}-byte file", n, bytes.size());
  json header = p.parse(std::string_view(bytes).substr(8, n));

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__")
      out.metadata = p.metadata(value);
    else
      entries.push_back(p.entry(key, value));
  }
  const char* data = bytes.data() + 8 + n;
  p.check_coverage(entries, bytes.size() - 8 - n);
  for (const auto& e : entries) out.tensors.emplace(e.name, make_tensor(e, data, p));
  return out;
}

SafetensorsFile read_safetensors(const std::string& path) {
  return parse_safetensors(read_file(path), path);
}

std::string serialize_safetensors(const TensorMap& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  struct Item {
    const std::string* name;
    const DtypeInfo* dtype;
    torch::Tensor data;  // contiguous CPU copy
  };
  std::vector<Item> items;
  for (const auto& [name, t] : tensors) {
    LETHE_CHECK(name != "__metadata__", "cannot write a tensor named '__metadata__'");
    LETHE_CHECK(invalid_utf8_at(name) == std::string_view::npos,
                "cannot write tensor '{}': its name is not valid UTF-8", name);
    LETHE_CHECK(t.defined(), "cannot write tensor '{}': it is undefined", name);
    items.push_back({&name, &dtype_of(name, t), t.detach().to(torch::kCPU).contiguous()});
  }
  // As upstream: by dtype (widest first), then by name. With an 8-aligned data start every
  // tensor is aligned to its element size, so readers may map it in place; and the header
  // (metadata first, keys in upstream's order) is byte-identical to upstream's for these dtypes.
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.dtype < b.dtype;
  });  // kDtypes order

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    for (const auto& [k, v] : metadata)
      LETHE_CHECK(invalid_utf8_at(k) == std::string_view::npos &&
                      invalid_utf8_at(v) == std::string_view::npos,
                  "cannot write safetensors metadata '{}': not valid UTF-8", k);
    header["__metadata__"] = metadata;
  }
  uint64_t offset = 0;
  for (const auto& it : items) {
    uint64_t size = static_cast<uint64_t>(it.data.numel()) * it.dtype->size;
    auto& entry = header[*it.name];
    entry["dtype"] = it.dtype->name;
    entry["shape"] = it.data.sizes().vec();
    entry["data_offsets"] = {offset, offset + size};
    offset += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + text.size() + offset);
  uint64_t n = text.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out += text;
  for (const auto& it : items) {
    if (it.data.numel() == 0) continue;  // an empty tensor may have no storage at all
    out.append(static_cast<const char*>(it.data.data_ptr()),
               static_cast<size_t>(it.data.numel()) * it.dtype->size);
  }
  return out;
}

void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, serialize_safetensors(tensors, metadata));
}

}  // namespace lethe
