#pragma once
// SVG documents → images, with librsvg (Debian's librsvg2; built when LETHE_WITH_RSVG is on).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace lethe::data {

// The document's viewBox fitted into a size×size canvas (aspect kept, centred) over white:
// (3, size, size) uint8 RGB. InputError naming `name` when librsvg cannot parse or draw it, or
// when this build has no SVG support.
torch::Tensor render_svg(std::string_view svg, int64_t size, const std::string& name);

}  // namespace lethe::data
