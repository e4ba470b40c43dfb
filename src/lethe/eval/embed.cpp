#include "lethe/eval/embed.h"

#include <unordered_map>

#include "lethe/core/error.h"

namespace lethe::eval {

Gallery make_gallery(const data::Dataset& ds, const std::vector<int64_t>& pair_ids) {
  Gallery g;
  std::unordered_map<int64_t, int64_t> img_at, cap_at;
  for (int64_t p : pair_ids) {
    LETHE_CHECK(p >= 0 && p < ds.num_pairs(), "pair id {} out of range (dataset has {})", p,
                ds.num_pairs());
    const auto& pr = ds.pairs[p];
    auto [ii, inew] = img_at.try_emplace(pr.image, static_cast<int64_t>(g.images.size()));
    if (inew) g.images.push_back(pr.image);
    auto [ci, cnew] = cap_at.try_emplace(pr.caption, static_cast<int64_t>(g.captions.size()));
    if (cnew) g.captions.push_back(pr.caption);
    g.positives.emplace_back(ii->second, ci->second);
  }
  return g;
}

torch::Tensor embed_batches(int64_t n, int64_t batch, const Context& ctx,
                            const std::function<torch::Tensor(int64_t, int64_t)>& encode) {
  std::vector<torch::Tensor> out;
  for (int64_t s = 0; s < n; s += batch) {
    AutocastGuard ac(ctx);
    auto e = encode(s, std::min(n, s + batch)).to(torch::kFloat);
    out.push_back(torch::nn::functional::normalize(
        e, torch::nn::functional::NormalizeFuncOptions().dim(1)));
  }
  return out.empty() ? torch::empty({0, 0}) : torch::cat(out).cpu();
}


torch::Tensor embed_images(models::Clip& model, const torch::Tensor& images_u8, const Context& ctx,
                           int64_t batch) {
  torch::NoGradGuard ng;
  EvalMode em(*model);
  return embed_batches(images_u8.size(0), batch, ctx, [&](int64_t s, int64_t e) {
    return model->encode_image(data::normalize_images(images_u8.slice(0, s, e)).to(ctx.device()));
  });
}

torch::Tensor embed_texts(models::Clip& model, const torch::Tensor& tokens, const Context& ctx,
                          int64_t batch) {
  torch::NoGradGuard ng;
  EvalMode em(*model);
  return embed_batches(tokens.size(0), batch, ctx, [&](int64_t s, int64_t e) {
    return model->encode_text(tokens.slice(0, s, e).to(ctx.device()));
  });
}

EmbeddingTable::EmbeddingTable(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                               const std::vector<int64_t>& pair_ids, const Context& ctx)
    : ds_(ds) {
  const auto g = make_gallery(ds, pair_ids);
  for (size_t i = 0; i < g.images.size(); ++i) image_row_[g.images[i]] = static_cast<int64_t>(i);
  for (size_t i = 0; i < g.captions.size(); ++i) caption_row_[g.captions[i]] = static_cast<int64_t>(i);
  images_ = embed_images(model, ds.images.index_select(0, torch::tensor(g.images, torch::kLong)), ctx);
  captions_ = embed_texts(model, tokens.index_select(0, torch::tensor(g.captions, torch::kLong)), ctx);
}

torch::Tensor EmbeddingTable::rows(const std::unordered_map<int64_t, int64_t>& row_of, const torch::Tensor& table,
                                   const std::vector<int64_t>& ids, const char* what) const {
  std::vector<int64_t> r;
  r.reserve(ids.size());
  for (int64_t id : ids) {
    auto it = row_of.find(id);
    LETHE_CHECK(it != row_of.end(), "embedding table: {} {} was not encoded", what, id);
    r.push_back(it->second);
  }
  return table.index_select(0, torch::tensor(r, torch::kLong));
}

RecallBlock EmbeddingTable::evaluate(const std::vector<int64_t>& pair_ids) const {
  LETHE_CHECK(!pair_ids.empty(), "evaluation gallery is empty");
  const auto g = make_gallery(ds_, pair_ids);
  return retrieval_recall(rows(image_row_, images_, g.images, "image"),
                          rows(caption_row_, captions_, g.captions, "caption"), g.positives);
}

PairEmbeddings EmbeddingTable::pairs(const std::vector<int64_t>& pair_ids) const {
  std::vector<int64_t> img, cap;
  for (int64_t p : pair_ids) {
    LETHE_CHECK(p >= 0 && p < ds_.num_pairs(), "pair id {} out of range (dataset has {})", p, ds_.num_pairs());
    img.push_back(ds_.pairs[p].image);
    cap.push_back(ds_.pairs[p].caption);
  }
  return {rows(image_row_, images_, img, "image"), rows(caption_row_, captions_, cap, "caption")};
}

RecallBlock evaluate_pairs(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                           const std::vector<int64_t>& pair_ids, const Context& ctx) {
  LETHE_CHECK(!pair_ids.empty(), "evaluation gallery is empty");
  return EmbeddingTable(model, ds, tokens, pair_ids, ctx).evaluate(pair_ids);
}

PairEmbeddings pair_embeddings(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                               const std::vector<int64_t>& pair_ids, const Context& ctx) {
  return EmbeddingTable(model, ds, tokens, pair_ids, ctx).pairs(pair_ids);
}

}  // namespace lethe::eval
