#include "lethe/interop/embed_files.h"

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/progress.h"
#include "lethe/core/safetensors.h"
#include "lethe/data/image.h"
#include "lethe/eval/embed.h"
#include "lethe/version.h"

namespace lethe::interop {

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

}  // namespace

std::vector<std::string> read_image_list(const std::string& path) {
  std::vector<std::string> paths;
  for (auto& line : split_lines(read_file(path)))
    if (line.find_first_not_of(" \t") != std::string::npos) paths.push_back(std::move(line));
  LETHE_CHECK(!paths.empty(), "image list '{}' names no image", path);
  return paths;
}

std::vector<std::string> read_caption_lines(const std::string& path) {
  auto lines = split_lines(read_file(path));
  LETHE_CHECK(!lines.empty(), "text file '{}' is empty: it needs one caption per line", path);
  return lines;
}

Embeddings embed(LoadedModel& m, const EmbedRequest& req, const Context& ctx) {
  LETHE_CHECK(!req.images.empty() || !req.texts.empty(),
              "nothing to embed: give --images, --image-list or --texts");
  LETHE_CHECK(req.texts.empty() || m.tokenizer.has_value(),
              "--texts needs a tokenizer: {} comes without one; pass --merges (CLIP's "
              "bpe_simple_vocab_16e6.txt[.gz])",
              m.description);
  LETHE_CHECK(req.batch >= 1, "--batch must be >= 1, got {}", req.batch);
  for (const auto& p : req.images) LETHE_CHECK(file_exists(p), "image '{}' does not exist", p);
  m.model->to(ctx.device());
  torch::NoGradGuard no_grad;
  Embeddings out;
  const int64_t d = m.cfg.embed_dim;
  if (!req.images.empty()) {
    const auto n = static_cast<int64_t>(req.images.size());
    out.image = torch::empty({n, d});
    Progress progress("embedding images", n, "img");
    for (int64_t s = 0; s < n; s += req.batch) {
      const int64_t e = std::min(n, s + req.batch);
      auto pixels = data::read_images({req.images.begin() + s, req.images.begin() + e}, m.cfg.image_size);
      out.image.slice(0, s, e).copy_(eval::embed_images(m.model, pixels, ctx, req.batch));
      progress.tick(e - s);
    }
    progress.done();
  }
  if (!req.texts.empty()) {
    const auto n = static_cast<int64_t>(req.texts.size());
    out.text = torch::empty({n, d});
    Progress progress("embedding texts", n, "txt");
    for (int64_t s = 0; s < n; s += req.batch) {
      const int64_t e = std::min(n, s + req.batch);
      auto tokens = m.tokenizer->encode_batch({req.texts.begin() + s, req.texts.begin() + e},
                                              m.cfg.context_length);
      out.text.slice(0, s, e).copy_(eval::embed_texts(m.model, tokens, ctx, req.batch));
      progress.tick(e - s);
    }
    progress.done();
  }
  return out;
}

void write_embeddings(const std::string& path, const Embeddings& e, const std::string& model_description) {
  TensorMap tensors;
  if (e.image.defined()) tensors["image_embeds"] = e.image;
  if (e.text.defined()) tensors["text_embeds"] = e.text;
  write_safetensors(path, tensors, {{"lethe.model", model_description}, {"lethe.version", kVersion}});
}

}  // namespace lethe::interop
