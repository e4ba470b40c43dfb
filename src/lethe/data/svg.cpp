#include "lethe/data/svg.h"

#include "lethe/core/error.h"
#include "lethe/core/strings.h"

#ifdef LETHE_WITH_RSVG
#include <cairo.h>
#include <librsvg/rsvg.h>

#include <memory>
#endif

namespace lethe::data {

#ifdef LETHE_WITH_RSVG

namespace {

struct GErrorFree {
  void operator()(GError* e) const { g_error_free(e); }
};
struct UnrefHandle {
  void operator()(RsvgHandle* h) const { g_object_unref(h); }
};
struct SurfaceFree {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoFree {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};

[[noreturn]] void fail(const std::string& name, GError* raw) {
  std::unique_ptr<GError, GErrorFree> e(raw);
  throw InputError(fmt::format("SVG '{}' cannot be drawn: {}", name,
                               e && e->message ? printable(e->message) : "librsvg gave no reason"));
}

}  // namespace

torch::Tensor render_svg(std::string_view svg, int64_t size, const std::string& name) {
  LETHE_CHECK(size >= 1 && size <= 4096, "SVG '{}': size {} is out of range [1, 4096]", name, size);
  GError* err = nullptr;
  std::unique_ptr<RsvgHandle, UnrefHandle> handle(
      rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(svg.data()), svg.size(), &err));
  if (!handle) fail(name, err);
  const int s = static_cast<int>(size);
  std::unique_ptr<cairo_surface_t, SurfaceFree> surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, s, s));
  std::unique_ptr<cairo_t, CairoFree> cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 1.0, 1.0, 1.0);
  cairo_paint(cr.get());
  const RsvgRectangle viewport{0.0, 0.0, static_cast<double>(s), static_cast<double>(s)};
  if (!rsvg_handle_render_document(handle.get(), cr.get(), &viewport, &err)) fail(name, err);
  LETHE_CHECK(cairo_status(cr.get()) == CAIRO_STATUS_SUCCESS, "SVG '{}' cannot be drawn: {}", name,
              cairo_status_to_string(cairo_status(cr.get())));
  cairo_surface_flush(surface.get());
  // RGB24: one native-endian 32-bit word per pixel, 0x00RRGGBB, rows `stride` bytes apart.
  const auto* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  auto out = torch::empty({3, size, size}, torch::kUInt8);
  auto* dst = out.data_ptr<uint8_t>();
  const int64_t plane = size * size;
  for (int y = 0; y < s; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<size_t>(y) * stride);
    for (int x = 0; x < s; ++x) {
      const uint32_t px = row[x];
      const int64_t i = static_cast<int64_t>(y) * size + x;
      dst[i] = static_cast<uint8_t>(px >> 16);
      dst[plane + i] = static_cast<uint8_t>(px >> 8);
      dst[2 * plane + i] = static_cast<uint8_t>(px);
    }
  }
  return out;
}

#else

torch::Tensor render_svg(std::string_view, int64_t, const std::string& name) {
  throw InputError(fmt::format("SVG '{}' cannot be drawn: this build has no SVG support (configure "
                               "with librsvg2-dev installed and LETHE_WITH_RSVG=ON)",
                               name));
}

#endif

}  // namespace lethe::data
