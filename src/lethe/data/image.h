#pragma once
// Image decoding and CLIP preprocessing (minus normalisation, see normalize_images() in
// dataset.h). Images are uint8 RGB tensors, channels first.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lethe::data {

// CLIP's normalisation constants (openai/CLIP clip.py _transform; OpenCLIP's OPENAI_DATASET_MEAN
// and _STD), per RGB channel. normalize_images() (dataset.h) applies them.
inline constexpr double kClipMean[3] = {0.48145466, 0.4578275, 0.40821073};
inline constexpr double kClipStd[3] = {0.26862954, 0.26130258, 0.27577711};

// PNG or JPEG bytes → (3,H,W) uint8 RGB; an alpha channel is composited over white.
// InputError "image '<name>' is not a valid PNG/JPEG: <reason>" otherwise.
torch::Tensor decode_image(const std::string& bytes, const std::string& name);

// CLIP's resize-and-crop: the shorter side is resized to `size` (bicubic, antialiased when
// shrinking), then the centre size×size square is cut out. (N,C,H,W) uint8 → (N,C,size,size)
// uint8. Rounding follows torchvision: long side ⌊long·size/short⌋, crop offset round-half-even.
torch::Tensor resize_center_crop(const torch::Tensor& images, int64_t size);

// Reads, decodes and preprocesses every file (in parallel): (N,3,size,size) uint8. Holds every
// decoded full-size image at once: for a bounded batch (load_images chunks through it).
torch::Tensor read_images(const std::vector<std::string>& paths, int64_t size);
// The same for any number of files, 512 at a time, with a progress display.
torch::Tensor load_images(const std::vector<std::string>& paths, int64_t size);

}  // namespace lethe::data
