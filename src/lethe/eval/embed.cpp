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

RecallBlock evaluate_pairs(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                           const std::vector<int64_t>& pair_ids, const Context& ctx) {
  LETHE_CHECK(!pair_ids.empty(), "evaluation gallery is empty");
  Gallery g = make_gallery(ds, pair_ids);
  auto img_idx = torch::tensor(g.images, torch::kLong);
  auto cap_idx = torch::tensor(g.captions, torch::kLong);
  auto img = embed_images(model, ds.images.index_select(0, img_idx), ctx);
  auto txt = embed_texts(model, tokens.index_select(0, cap_idx), ctx);
  return retrieval_recall(img, txt, g.positives);
}

PairEmbeddings pair_embeddings(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                               const std::vector<int64_t>& pair_ids, const Context& ctx) {
  const auto g = make_gallery(ds, pair_ids);
  auto img = embed_images(model, ds.images.index_select(0, torch::tensor(g.images, torch::kLong)), ctx);
  auto txt = embed_texts(model, tokens.index_select(0, torch::tensor(g.captions, torch::kLong)), ctx);
  std::vector<int64_t> ii, ti;
  for (const auto& [a, b] : g.positives) ii.push_back(a), ti.push_back(b);
  return {img.index_select(0, torch::tensor(ii, torch::kLong)), txt.index_select(0, torch::tensor(ti, torch::kLong))};
}

}  // namespace lethe::eval
