#include "lethe/data/image.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <memory>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/progress.h"
#include "lethe/core/strings.h"
#include "lethe/data/dataset.h"

#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

namespace lethe::data {

torch::Tensor decode_image(const std::string& bytes, const std::string& name) {
  LETHE_CHECK(!bytes.empty(), "image '{}' is not a valid PNG/JPEG: empty file", name);
  LETHE_CHECK(bytes.size() <= static_cast<size_t>(INT32_MAX),
              "image '{}' is not a valid PNG/JPEG: {} bytes is too large", name, bytes.size());
  int w = 0, h = 0, channels = 0;
  stbi__g_failure_reason = nullptr;  // thread-local: else an earlier image's reason could show
  std::unique_ptr<stbi_uc, decltype(&stbi_image_free)> px(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                            static_cast<int>(bytes.size()), &w, &h, &channels, 4),
      &stbi_image_free);
  if (!px) {
    // stb_image may fail without a reason (null), and a reason may quote the file's bytes (a
    // PNG chunk type, cut short at a zero byte, even to ""): never format a null pointer,
    // always escape.
    const char* why = stbi_failure_reason();
    throw InputError(fmt::format("image '{}' is not a valid PNG/JPEG: {}", name,
                                 why && *why ? printable(why) : "the decoder gave no reason"));
  }
  const int64_t n = static_cast<int64_t>(w) * h;
  auto out = torch::empty({3, h, w}, torch::kUInt8);
  uint8_t* dst = out.data_ptr<uint8_t>();
  const stbi_uc* src = px.get();
  for (int64_t i = 0; i < n; ++i) {
    // Over white: c·α + 255·(1−α), in 8-bit fixed point with rounding.
    const int a = src[4 * i + 3];
    for (int c = 0; c < 3; ++c) dst[c * n + i] = (src[4 * i + c] * a + 255 * (255 - a) + 127) / 255;
  }
  return out;
}

torch::Tensor resize_center_crop(const torch::Tensor& images, int64_t size) {
  LETHE_CHECK(size >= 1, "image size must be positive, got {}", size);
  LETHE_ASSERT(images.dim() == 4 && images.scalar_type() == torch::kUInt8);
  const int64_t h = images.size(2), w = images.size(3);
  LETHE_CHECK(h >= 1 && w >= 1, "cannot resize an empty {}x{} image", w, h);
  const int64_t short_side = std::min(h, w);
  torch::Tensor x = images;
  int64_t nh = h, nw = w;
  if (short_side != size) {
    nh = h <= w ? size : h * size / w;
    nw = h <= w ? w * size / h : size;
    namespace F = torch::nn::functional;
    x = F::interpolate(images.to(torch::kFloat), F::InterpolateFuncOptions()
                                                     .size(std::vector<int64_t>{nh, nw})
                                                     .mode(torch::kBicubic)
                                                     .align_corners(false)
                                                     .antialias(true))
            .round_()
            .clamp_(0, 255)
            .to(torch::kUInt8);
  }
  const auto top = static_cast<int64_t>(std::nearbyint((nh - size) / 2.0));
  const auto left = static_cast<int64_t>(std::nearbyint((nw - size) / 2.0));
  return x.slice(2, top, top + size).slice(3, left, left + size).contiguous();
}

torch::Tensor read_images(const std::vector<std::string>& paths, int64_t size) {
  const auto n = static_cast<int64_t>(paths.size());
  auto out = torch::empty({n, 3, size, size}, torch::kUInt8);
  // Files decode in parallel, then runs of equal-sized images resize as one batch (one
  // interpolate call per run, not per image: most sources have a single size).
  std::vector<torch::Tensor> decoded(n);
  at::parallel_for(0, n, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) decoded[i] = decode_image(read_file(paths[i]), paths[i]);
  });
  for (int64_t run = 0; run < n;) {
    int64_t stop = run + 1;
    while (stop < n && decoded[stop].sizes() == decoded[run].sizes()) ++stop;
    std::vector<torch::Tensor> batch(decoded.begin() + run, decoded.begin() + stop);
    out.slice(0, run, stop).copy_(resize_center_crop(torch::stack(batch), size));
    run = stop;
  }
  return out;
}

torch::Tensor load_images(const std::vector<std::string>& paths, int64_t size) {
  const auto n = static_cast<int64_t>(paths.size());
  auto out = torch::empty({n, 3, size, size}, torch::kUInt8);
  Progress progress("decoding images", n, "img");
  // Chunks bound the decoded full-size images in memory and set the progress granularity.
  constexpr int64_t kChunk = 512;
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t end = std::min(n, begin + kChunk);
    out.slice(0, begin, end)
        .copy_(read_images(std::vector<std::string>(paths.begin() + begin, paths.begin() + end), size));
    progress.tick(end - begin);
  }
  progress.done();
  return out;
}

torch::Tensor normalize_images(const torch::Tensor& images_u8) {
  LETHE_ASSERT(images_u8.dim() == 4 && images_u8.size(1) == 3);
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(images_u8.device());
  auto mean = torch::tensor({kClipMean[0], kClipMean[1], kClipMean[2]}, opts).view({1, 3, 1, 1});
  auto std = torch::tensor({kClipStd[0], kClipStd[1], kClipStd[2]}, opts).view({1, 3, 1, 1});
  return (images_u8.to(torch::kFloat) / 255.0 - mean) / std;
}

}  // namespace lethe::data
