#include "lethe/data/shapes.h"

#include <cmath>
#include <unordered_set>

#include "lethe/core/error.h"
#include "lethe/core/log.h"
#include "lethe/core/rng.h"

namespace lethe::data {

namespace {

constexpr uint64_t kShapesSeed = 0x5ba9e5;
constexpr int kTestShare = 5;  // one caption in five belongs to the test split

constexpr uint8_t kRgb[kShapeColours.size()][3] = {
    {220, 40, 40}, {40, 160, 60}, {40, 80, 220}, {235, 200, 30},
    {140, 60, 170}, {245, 140, 30}, {20, 20, 20}, {240, 120, 180}};

// Whether (dx, dy), relative to the shape's centre and in units of its radius, is inside.
bool inside(int kind, double dx, double dy) {
  const double ax = std::abs(dx), ay = std::abs(dy);
  switch (kind) {
    case 0: return dx * dx + dy * dy <= 1.0;                                    // circle
    case 1: return ax <= 0.85 && ay <= 0.85;                                    // square
    case 2: return dy >= -1.0 && dy <= 0.8 && ax <= (dy + 1.0) * 0.55;         // triangle, apex up
    case 3: return ax + ay <= 1.0;                                              // diamond
    case 4: return (ax <= 0.3 && ay <= 1.0) || (ay <= 0.3 && ax <= 1.0);        // cross
    case 5: { const double r2 = dx * dx + dy * dy; return r2 <= 1.0 && r2 >= 0.36; }  // ring
  }
  LETHE_ASSERT(false);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

ShapeSplit split_of(const std::string& caption) {
  return splitmix64(fnv1a(caption)) % kTestShare == 0 ? ShapeSplit::kTest : ShapeSplit::kTrain;
}

ShapeScene draw_scene(std::mt19937_64& rng, int max_objects) {
  const auto count = 1 + static_cast<int>(uniform_index(max_objects, rng));
  auto cells = permutation(static_cast<int64_t>(kShapePlaces.size()), rng);
  ShapeScene scene;
  for (int i = 0; i < count; ++i) {
    Shape s;
    s.kind = static_cast<int>(uniform_index(kShapeNames.size(), rng));
    s.colour = static_cast<int>(uniform_index(kShapeColours.size(), rng));
    s.large = uniform_index(2, rng) == 1;
    s.cell = static_cast<int>(cells[i]);
    scene.push_back(s);
  }
  std::sort(scene.begin(), scene.end(), [](const Shape& a, const Shape& b) { return a.cell < b.cell; });
  return scene;
}

}  // namespace

std::string describe(const ShapeScene& scene) {
  std::string out;
  for (size_t i = 0; i < scene.size(); ++i) {
    const auto& s = scene[i];
    if (i > 0) out += i + 1 == scene.size() ? " and " : ", ";
    out += fmt::format("a {} {} {} {}", s.large ? "large" : "small", kShapeColours[s.colour],
                       kShapeNames[s.kind], kShapePlaces[s.cell]);
  }
  return out;
}

torch::Tensor render(const ShapeScene& scene, int64_t size) {
  auto img = torch::full({3, size, size}, 255, torch::kUInt8);
  uint8_t* px = img.data_ptr<uint8_t>();
  const double cell = static_cast<double>(size) / 3.0;
  const int64_t plane = size * size;
  for (const auto& s : scene) {
    const double cx = (s.cell % 3 + 0.5) * cell, cy = (s.cell / 3 + 0.5) * cell;
    const double radius = (s.large ? 0.42 : 0.22) * cell;
    const auto x0 = std::max<int64_t>(0, static_cast<int64_t>(cx - radius) - 1);
    const auto x1 = std::min<int64_t>(size, static_cast<int64_t>(cx + radius) + 2);
    const auto y0 = std::max<int64_t>(0, static_cast<int64_t>(cy - radius) - 1);
    const auto y1 = std::min<int64_t>(size, static_cast<int64_t>(cy + radius) + 2);
    for (int64_t y = y0; y < y1; ++y) {
      for (int64_t x = x0; x < x1; ++x) {
        int hits = 0;  // of 2×2 sub-pixel samples
        for (double oy : {0.25, 0.75})
          for (double ox : {0.25, 0.75})
            hits += inside(s.kind, (x + ox - cx) / radius, (y + oy - cy) / radius);
        if (hits == 0) continue;
        for (int c = 0; c < 3; ++c) {
          uint8_t& v = px[c * plane + y * size + x];
          v = static_cast<uint8_t>((v * (4 - hits) + kRgb[s.colour][c] * hits + 2) / 4);
        }
      }
    }
  }
  return img;
}

std::vector<ShapeScene> generate_scenes(int64_t n, ShapeSplit split, int max_objects) {
  auto rng = make_engine(kShapesSeed, 0, static_cast<int64_t>(split), Stream::kInit);
  std::vector<ShapeScene> scenes;
  std::unordered_set<std::string> seen;
  // Millions of captions exist per split; the bound only stops a request beyond that.
  const int64_t max_draws = 20 * n + 10000;
  for (int64_t draws = 0; static_cast<int64_t>(scenes.size()) < n; ++draws) {
    LETHE_CHECK(draws < max_draws, "cannot generate {} distinct shapes scenes (found {})", n,
                scenes.size());
    auto scene = draw_scene(rng, max_objects);
    auto caption = describe(scene);
    if (split_of(caption) == split && seen.insert(caption).second) scenes.push_back(std::move(scene));
  }
  return scenes;
}

Dataset load_shapes(const DataConfig& cfg) {
  LETHE_CHECK(cfg.shapes_train >= 1 && cfg.shapes_test >= 1,
              "shapes needs at least one scene per split, got shapes_train = {}, shapes_test = {}",
              cfg.shapes_train, cfg.shapes_test);
  Dataset ds;
  ds.name = "shapes";
  const auto cap = [&](int64_t n) { return cfg.limit > 0 ? std::min(n, cfg.limit) : n; };
  const std::pair<ShapeSplit, int64_t> parts[] = {{ShapeSplit::kTrain, cap(cfg.shapes_train)},
                                                  {ShapeSplit::kTest, cap(cfg.shapes_test)}};
  std::vector<torch::Tensor> images;
  for (const auto& [split, n] : parts) {
    const bool train = split == ShapeSplit::kTrain;
    auto scenes = generate_scenes(n, split, static_cast<int>(cfg.shapes_max_objects));
    for (size_t i = 0; i < scenes.size(); ++i) {
      const auto& scene = scenes[i];
      const int64_t id = ds.num_pairs();
      images.push_back(render(scene, cfg.image_size));
      ds.image_ids.push_back(fmt::format("{}/{:06}", train ? "train" : "test", i));
      ds.captions.push_back(describe(scene));
      std::vector<std::string> tags;
      for (const auto& s : scene)
        for (const char* word : {kShapeColours[s.colour], kShapeNames[s.kind]})
          if (std::find(tags.begin(), tags.end(), word) == tags.end()) tags.emplace_back(word);
      ds.caption_tags.push_back(std::move(tags));
      ds.pairs.push_back({id, id, id});
      ds.labels["source"].append("shapes");
      ds.labels["count"].append(std::to_string(scene.size()));
      ds.labels["colour"].append(kShapeColours[scene.front().colour]);
      ds.labels["shape"].append(kShapeNames[scene.front().kind]);
      (train ? ds.train : ds.test).push_back(id);
    }
  }
  ds.images = torch::stack(images);
  log::info("shapes: {} train and {} test scenes at {}px", ds.train.size(), ds.test.size(),
            cfg.image_size);
  return ds;
}

}  // namespace lethe::data
