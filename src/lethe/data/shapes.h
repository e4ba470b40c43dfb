#pragma once
// Procedural shapes (DATA.md §3): 1–3 coloured shapes on a 3×3 grid over white, with a caption
// that states them ("a small red circle at the top left and a large blue square in the
// centre"). Deterministic, unique captions, no files: tests and scaling benchmarks.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "lethe/data/dataset.h"

namespace lethe::data {

inline constexpr std::array<const char*, 6> kShapeNames = {"circle", "square", "triangle",
                                                           "diamond", "cross",  "ring"};
inline constexpr std::array<const char*, 8> kShapeColours = {
    "red", "green", "blue", "yellow", "purple", "orange", "black", "pink"};
// Grid cells in reading order (row-major), as the caption says them.
inline constexpr std::array<const char*, 9> kShapePlaces = {
    "at the top left",    "at the top",    "at the top right",
    "on the left",        "in the centre", "on the right",
    "at the bottom left", "at the bottom", "at the bottom right"};

struct Shape {
  int kind = 0;    // index into kShapeNames
  int colour = 0;  // index into kShapeColours
  bool large = false;
  int cell = 0;    // index into kShapePlaces
};

// Shapes in distinct cells, sorted by cell, so that one scene has one caption.
using ShapeScene = std::vector<Shape>;

std::string describe(const ShapeScene& scene);
// (3,size,size) uint8 RGB, antialiased by 4× supersampling.
torch::Tensor render(const ShapeScene& scene, int64_t size);

enum class ShapeSplit { kTrain = 0, kTest = 1 };
// The first n scenes of a split's fixed stream. Captions are unique within and across splits
// (a caption hash assigns every possible caption to one split), and the stream of a split does
// not depend on the other's size, so a smaller set is a prefix of a larger one.
std::vector<ShapeScene> generate_scenes(int64_t n, ShapeSplit split, int max_objects = 3);

// The "shapes" dataset: cfg.shapes_train / cfg.shapes_test units (each capped at cfg.limit),
// one image and caption per unit; labels source, count, colour and shape (of the first shape).
Dataset load_shapes(const DataConfig& cfg);

}  // namespace lethe::data
