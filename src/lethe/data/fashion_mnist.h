#pragma once
// Fashion-MNIST with template captions (DATA.md §2): gzip'd IDX files, 28×28 grey images in
// 10 classes. Captions name the class, so retrieval on it is class-level. Unit = the image.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "lethe/data/dataset.h"

namespace lethe::data {

inline constexpr std::array<const char*, 10> kFashionClasses = {
    "T-shirt/top", "trouser", "pullover", "dress", "coat",
    "sandal",      "shirt",   "sneaker",  "bag",   "ankle boot"};

// Where the Debian package dataset-fashion-mnist installs the files.
inline constexpr const char* kFashionMnistSystemDir = "/usr/share/datasets/fashion-mnist";

// An IDX array of unsigned bytes: dims and row-major data.
struct IdxBytes {
  std::vector<int64_t> dims;
  std::string data;
};

// Reads a gzip'd IDX file of unsigned bytes with `ndim` dimensions. Each problem (missing,
// not gzip, wrong magic, wrong ndim, zero dimension, data size ≠ product of dims) is an
// InputError naming the file.
IdxBytes read_idx_gz(const std::string& path, int ndim);

// The first folder in `candidates` holding all four files; InputError listing them otherwise.
std::string find_fashion_mnist(const std::vector<std::string>& candidates);

// The caption of image `index` of the train or test split, of class `label`: one of a few
// templates, chosen by a hash of (split, index) so that captions vary but never between loads.
std::string fashion_caption(int label, bool train, int64_t index);

// Every caption the dataset uses, once: caption id = class · T + template (T templates).
std::vector<std::string> fashion_captions();

// Train = train-*, test = t10k-*; cfg.limit caps the images per split. Looks in cfg.root,
// then <data root>/fashion-mnist, then kFashionMnistSystemDir. Labels: source, class.
Dataset load_fashion_mnist(const DataConfig& cfg);

}  // namespace lethe::data
