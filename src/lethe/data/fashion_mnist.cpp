#include "lethe/data/fashion_mnist.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/rng.h"
#include "lethe/core/strings.h"
#include "lethe/data/image.h"

namespace lethe::data {

namespace {

constexpr uint64_t kTestKeyOffset = 1ull << 32;

constexpr std::array<const char*, 4> kFiles = {
    "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz"};

// {0}: the class noun with its article ("a sneaker", "an ankle boot"); {1}: the bare noun.
constexpr std::array<const char*, 6> kTemplates = {
    "a photo of {0}",
    "a grey {1} on a plain background",
    "a black and white photo of {0}",
    "a low resolution photo of {0}",
    "a product photo of {0}",
    "a small picture of {0}"};

// Class names as caption nouns ("T-shirt/top" reads as "t-shirt").
constexpr std::array<const char*, 10> kNouns = {"t-shirt", "trouser", "pullover", "dress",
                                                "coat",    "sandal",  "shirt",    "sneaker",
                                                "bag",     "ankle boot"};

std::string gunzip_file(const std::string& path) {
  LETHE_CHECK(file_exists(path), "cannot read file '{}': no such file", path);
  std::unique_ptr<gzFile_s, decltype(&gzclose)> gz(gzopen(path.c_str(), "rb"), &gzclose);
  LETHE_CHECK(gz, "cannot read file '{}': {}", path, std::strerror(errno));
  std::string out;
  char buf[1 << 16];
  while (true) {
    const int n = gzread(gz.get(), buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(gz.get(), &code);
      throw InputError(fmt::format("cannot decompress '{}': {}", path, msg));
    }
    if (n == 0) break;
    out.append(buf, n);
  }
  // At end of input zlib reports a stream cut short as Z_BUF_ERROR, not as a read error.
  int code = Z_OK;
  gzerror(gz.get(), &code);
  LETHE_CHECK(code == Z_OK, "cannot decompress '{}': the gzip stream ends early", path);
  return out;
}

// Template keys differ per split so that image i of train and of test need not match.
int template_of(bool train, int64_t index) {
  const uint64_t key = (train ? 0 : kTestKeyOffset) + static_cast<uint64_t>(index);
  return static_cast<int>(splitmix64(key) % kTemplates.size());
}

std::string caption_text(int label, int tmpl) {
  const std::string noun = kNouns[label];
  const bool vowel = std::string_view("aeiou").find(noun[0]) != std::string_view::npos;
  return fmt::format(fmt::runtime(kTemplates[tmpl]), (vowel ? "an " : "a ") + noun, noun);
}

// One split: images (n,1,S,S) uint8, resized in chunks (float copies of all 60,000 would take
// 400 MB), and labels checked against the images and the class list.
std::pair<torch::Tensor, std::vector<int>> read_split(const std::string& dir, const std::string& prefix,
                                                      int64_t limit, int64_t size) {
  const std::string images_path = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  auto images = read_idx_gz(images_path, 3);
  auto labels = read_idx_gz(labels_path, 1);
  LETHE_CHECK(labels.dims[0] == images.dims[0], "'{}' has {} labels but '{}' has {} images",
              labels_path, labels.dims[0], images_path, images.dims[0]);
  const int64_t n = limit > 0 ? std::min(limit, images.dims[0]) : images.dims[0];
  std::vector<int> out_labels(n);
  for (int64_t i = 0; i < n; ++i) {
    out_labels[i] = static_cast<unsigned char>(labels.data[i]);
    LETHE_CHECK(out_labels[i] < static_cast<int>(kNouns.size()),
                "'{}': label {} of image {} is not a Fashion-MNIST class (0-9)", labels_path,
                out_labels[i], i);
  }
  const int64_t h = images.dims[1], w = images.dims[2];
  auto raw = torch::from_blob(images.data.data(), {n, 1, h, w}, torch::kUInt8);
  auto out = torch::empty({n, 1, size, size}, torch::kUInt8);
  constexpr int64_t kChunk = 4096;
  for (int64_t b = 0; b < n; b += kChunk) {
    const int64_t e = std::min(n, b + kChunk);
    out.slice(0, b, e).copy_(resize_center_crop(raw.slice(0, b, e), size));
  }
  return {out, out_labels};
}

uint32_t big_endian_u32(const std::string& s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

}  // namespace

IdxBytes read_idx_gz(const std::string& path, int ndim) {
  std::string bytes = gunzip_file(path);
  const size_t header = 4 + 4 * static_cast<size_t>(ndim);
  LETHE_CHECK(bytes.size() >= 4, "IDX file '{}' is too short ({} bytes) for its magic number",
              path, bytes.size());
  const uint32_t magic = big_endian_u32(bytes, 0);
  // Magic: two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions.
  LETHE_CHECK((magic >> 8) == 0x08, "'{}' is not an IDX file of unsigned bytes (magic 0x{:08x})",
              path, magic);
  LETHE_CHECK(static_cast<int>(magic & 0xff) == ndim,
              "IDX file '{}' has {} dimensions, expected {}", path, magic & 0xff, ndim);
  LETHE_CHECK(bytes.size() >= header, "IDX file '{}' is too short ({} bytes) for its header", path,
              bytes.size());
  IdxBytes out;
  uint64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    const uint32_t dim = big_endian_u32(bytes, 4 + 4 * d);
    LETHE_CHECK(dim > 0, "IDX file '{}' has size 0 in dimension {}", path, d);
    out.dims.push_back(dim);
    count *= dim;
  }
  LETHE_CHECK(bytes.size() - header == count,
              "IDX file '{}' holds {} bytes of data, but its dimensions {} need {}", path,
              bytes.size() - header, fmt::join(out.dims, "x"), count);
  out.data = bytes.substr(header);
  return out;
}

std::string find_fashion_mnist(const std::vector<std::string>& candidates) {
  for (const auto& dir : candidates) {
    bool all = !dir.empty();
    for (const char* f : kFiles) all = all && file_exists(dir + "/" + f);
    if (all) return dir;
  }
  throw InputError(fmt::format(
      "Fashion-MNIST not found in {}: install the Debian package dataset-fashion-mnist, or put "
      "{{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte.gz in the data root",
      join(candidates, ", ")));
}

std::string fashion_caption(int label, bool train, int64_t index) {
  LETHE_ASSERT(label >= 0 && label < static_cast<int>(kNouns.size()));
  return caption_text(label, template_of(train, index));
}

std::vector<std::string> fashion_captions() {
  std::vector<std::string> out;
  for (int c = 0; c < static_cast<int>(kNouns.size()); ++c)
    for (int t = 0; t < static_cast<int>(kTemplates.size()); ++t) out.push_back(caption_text(c, t));
  return out;
}

Dataset load_fashion_mnist(const DataConfig& cfg) {
  std::vector<std::string> candidates;
  if (!cfg.root.empty()) candidates.push_back(cfg.root);
  candidates.push_back(data_root(cfg) + "/fashion-mnist");
  candidates.push_back(kFashionMnistSystemDir);
  const std::string dir = find_fashion_mnist(candidates);

  Dataset ds;
  ds.name = "fashion-mnist";
  const int num_templates = static_cast<int>(kTemplates.size());
  ds.captions = fashion_captions();
  for (const char* noun : kNouns) ds.caption_tags.insert(ds.caption_tags.end(), num_templates, std::vector<std::string>{noun});
  std::vector<torch::Tensor> parts;
  for (const char* prefix : {"train", "t10k"}) {
    const bool train = std::string_view(prefix) == "train";
    auto [images, labels] = read_split(dir, prefix, cfg.limit, cfg.image_size);
    parts.push_back(images);
    for (size_t i = 0; i < labels.size(); ++i) {
      const int64_t id = ds.num_pairs();
      ds.image_ids.push_back(fmt::format("{}/{:05}", train ? "train" : "test", i));
      ds.pairs.push_back({id, labels[i] * num_templates + template_of(train, i), id});
      ds.labels["source"].append("fashion-mnist");
      ds.labels["class"].append(kFashionClasses[labels[i]]);
      (train ? ds.train : ds.test).push_back(id);
    }
  }
  // Grey → RGB as a broadcast view: three identical channels without three copies.
  auto grey = torch::cat(parts);
  ds.images = grey.expand({grey.size(0), 3, cfg.image_size, cfg.image_size});
  log::info("fashion-mnist: {} train and {} test images from {} at {}px", ds.train.size(),
            ds.test.size(), dir, cfg.image_size);
  return ds;
}

}  // namespace lethe::data
