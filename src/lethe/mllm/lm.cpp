#include "lethe/mllm/lm.h"

#include <algorithm>

#include "lethe/core/error.h"
#include "lethe/core/rng.h"
#include "lethe/train/batches.h"

namespace lethe::mllm {

namespace {

// <start_of_text> prompt (what generation starts from; training rows append answer, end).
std::vector<int64_t> prompt_row(const tokenize::BpeTokenizer& tok, const std::string& prompt) {
  std::vector<int64_t> row{tok.sot()};
  for (auto t : tok.encode(prompt)) row.push_back(t);
  return row;
}

// Images of the rows that have one, normalised (and shifted when training).
void add_images(const data::Dataset& ds, const std::vector<int64_t>& image_ids,
                const std::vector<int64_t>& rows, int64_t shift, std::mt19937_64* rng, LmBatch& b) {
  b.image_rows = torch::tensor(rows, torch::kLong);
  if (rows.empty()) return;
  auto images = ds.images.index_select(0, torch::tensor(image_ids, torch::kLong));
  if (rng && shift > 0) images = train::shift_images(images, shift, *rng);
  b.images = data::normalize_images(images);
}

}  // namespace

LmBatch make_batch(const LmText& text, const std::vector<QaItem>& items, const std::vector<int64_t>& ids,
                   const std::vector<std::string>* answers, int64_t shift, std::mt19937_64* rng) {
  const int64_t n = static_cast<int64_t>(ids.size());
  LETHE_ASSERT(n > 0 && (!answers || static_cast<int64_t>(answers->size()) == n));
  std::vector<std::vector<int64_t>> rows(n);
  std::vector<int64_t> prompt_len(n), image_ids, image_rows;
  int64_t l = 2;
  for (int64_t i = 0; i < n; ++i) {
    const auto& it = items.at(ids[i]);
    rows[i] = prompt_row(text.tok, it.prompt);
    prompt_len[i] = static_cast<int64_t>(rows[i].size());
    for (auto t : text.tok.encode(answers ? (*answers)[i] : it.answer)) rows[i].push_back(t);
    rows[i].push_back(text.tok.eot());
    LETHE_CHECK(static_cast<int64_t>(rows[i].size()) <= text.max_text_tokens,
                "question '{}' → '{}' needs {} tokens; the LM holds {}", it.prompt,
                answers ? (*answers)[i] : it.answer, rows[i].size(), text.max_text_tokens);
    l = std::max<int64_t>(l, static_cast<int64_t>(rows[i].size()));
    if (it.image >= 0) image_ids.push_back(it.image), image_rows.push_back(i);
  }
  auto tokens = torch::zeros({n, l}, torch::kLong);
  auto mask = torch::zeros({n, l - 1}, torch::kFloat);
  auto tk = tokens.accessor<int64_t, 2>();
  auto mk = mask.accessor<float, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = static_cast<int64_t>(rows[i].size());
    for (int64_t j = 0; j < len; ++j) tk[i][j] = rows[i][j];
    // Target j+1 is an answer token (or the end) for j+1 ≥ prompt_len.
    for (int64_t j = prompt_len[i] - 1; j < len - 1; ++j) mk[i][j] = 1.0f;
  }
  LmBatch b;
  b.targets = tokens.slice(1, 1, l).contiguous();
  b.tokens = std::move(tokens);
  b.mask = std::move(mask);
  add_images(text.ds, image_ids, image_rows, shift, rng, b);
  return b;
}

torch::Tensor batch_logits(models::MultimodalLm& model, const LmBatch& b, const Context& ctx) {
  AutocastGuard ac(ctx);
  const int64_t l = b.tokens.size(1);
  return model->forward(b.tokens.slice(1, 0, l - 1), b.images, b.image_rows);
}

torch::Tensor answer_nll(const torch::Tensor& logits, const LmBatch& b) {
  auto logp = torch::log_softmax(logits, -1).gather(-1, b.targets.unsqueeze(-1)).squeeze(-1);  // (N,L-1)
  return -(logp * b.mask).sum(1) / b.mask.sum(1).clamp_min(1.0);
}

std::vector<std::string> greedy_answers(models::MultimodalLm& model, const LmText& text,
                                        const std::vector<QaItem>& items, int64_t max_answer_tokens,
                                        int64_t batch, const Context& ctx) {
  torch::NoGradGuard no_grad;
  AutocastGuard ac(ctx);
  std::vector<std::string> out(items.size());
  for (size_t s = 0; s < items.size(); s += static_cast<size_t>(batch)) {
    const size_t e = std::min(items.size(), s + static_cast<size_t>(batch));
    const int64_t n = static_cast<int64_t>(e - s);
    std::vector<std::vector<int64_t>> rows(n);
    std::vector<int64_t> image_ids, image_rows;
    for (int64_t i = 0; i < n; ++i) {
      rows[i] = prompt_row(text.tok, items[s + i].prompt);
      if (items[s + i].image >= 0) image_ids.push_back(items[s + i].image), image_rows.push_back(i);
    }
    LmBatch b;
    add_images(text.ds, image_ids, image_rows, 0, nullptr, b);
    std::vector<std::vector<int64_t>> answer(n);
    std::vector<bool> done(n, false);
    for (int64_t t = 0; t < max_answer_tokens; ++t) {
      int64_t l = 0;
      for (const auto& r : rows) l = std::max<int64_t>(l, static_cast<int64_t>(r.size()));
      LETHE_CHECK(l <= text.max_text_tokens, "generation needs {} tokens; the LM holds {}", l,
                  text.max_text_tokens);
      auto tokens = torch::zeros({n, l}, torch::kLong);
      auto tk = tokens.accessor<int64_t, 2>();
      std::vector<int64_t> last(n);
      for (int64_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < rows[i].size(); ++j) tk[i][j] = rows[i][j];
        last[i] = static_cast<int64_t>(rows[i].size()) - 1;
      }
      auto logits = model->forward(tokens, b.images, b.image_rows);  // (n,l,V)
      auto next = logits.gather(1, torch::tensor(last, torch::kLong).view({n, 1, 1}).expand({n, 1, logits.size(2)}))
                      .squeeze(1)
                      .argmax(-1);
      auto nx = next.accessor<int64_t, 1>();
      bool all_done = true;
      for (int64_t i = 0; i < n; ++i) {
        if (done[i]) continue;
        if (nx[i] == text.tok.eot()) {
          done[i] = true;
          continue;
        }
        answer[i].push_back(nx[i]);
        rows[i].push_back(nx[i]);
        all_done = false;
      }
      if (all_done) break;
    }
    for (int64_t i = 0; i < n; ++i) out[s + i] = text.tok.decode(answer[i]);
  }
  return out;
}

std::vector<int> choice_hits(models::MultimodalLm& model, const LmText& text,
                             const std::vector<QaItem>& items,
                             const std::vector<std::vector<std::string>>& pool, int64_t batch,
                             const Context& ctx) {
  torch::NoGradGuard no_grad;
  constexpr int kChoices = 4;
  std::vector<int> hits(items.size(), 0);
  for (size_t s = 0; s < items.size(); s += static_cast<size_t>(batch)) {
    const size_t e = std::min(items.size(), s + static_cast<size_t>(batch));
    std::vector<int64_t> ids;
    std::vector<std::string> answers;
    std::vector<int> count;  // candidates per item (the correct one first)
    for (size_t i = s; i < e; ++i) {
      const auto& it = items[i];
      const auto& p = pool.at(static_cast<size_t>(it.question));
      std::vector<std::string> others;
      for (const auto& a : p)
        if (a != it.answer) others.push_back(a);
      auto rng = make_engine(static_cast<uint64_t>(it.entity) * 7919u + static_cast<uint64_t>(it.image + 1),
                             static_cast<int64_t>(it.question), -1, Stream::kEval);
      const auto perm = permutation(static_cast<int64_t>(others.size()), rng);
      const int c = static_cast<int>(std::min<size_t>(kChoices - 1, others.size())) + 1;
      count.push_back(c);
      ids.push_back(static_cast<int64_t>(i)), answers.push_back(it.answer);
      for (int k = 0; k + 1 < c; ++k) ids.push_back(static_cast<int64_t>(i)), answers.push_back(others[perm[k]]);
    }
    auto nll = answer_nll(model, make_batch(text, items, ids, &answers), ctx);
    auto a = nll.accessor<float, 1>();
    int64_t r = 0;
    for (size_t i = s; i < e; ++i) {
      const int c = count[i - s];
      bool hit = true;  // with one distinct answer in the pool there is nothing to choose
      for (int k = 1; k < c; ++k) hit = hit && a[r] < a[r + k];
      hits[i] = hit ? 1 : 0;
      r += c;
    }
  }
  return hits;
}

models::MultimodalLm make_lm(const MllmConfig& cfg, const models::ClipConfig& clip, int64_t vocab_size,
                             int64_t max_text_tokens, uint64_t seed) {
  torch::manual_seed(seed);
  return models::MultimodalLm(
      models::MultimodalLmOptions(models::VisionTransformerOptions(clip.image_size, clip.patch_size,
                                                                   clip.embed_dim,
                                                                   models::vision_tower_options(clip)),
                                  vocab_size, max_text_tokens)
          .prefix_tokens(cfg.prefix_tokens)
          .width(cfg.width)
          .layers(cfg.layers)
          .heads(cfg.heads)
          .projector_hidden(cfg.projector_hidden));
}

int64_t needed_text_tokens(const QaWorld& world, const tokenize::BpeTokenizer& tok, int64_t max_answer_tokens) {
  int64_t l = 2;
  const auto all = world.all_entities();
  for (const auto& items : {world.visual_items(all, false), world.text_items(all)})
    for (const auto& it : items) {
      const int64_t p = static_cast<int64_t>(prompt_row(tok, it.prompt).size());
      const int64_t a = static_cast<int64_t>(tok.encode(it.answer).size()) + 1;
      l = std::max(l, p + std::max(a, max_answer_tokens));
    }
  return l;
}

}  // namespace lethe::mllm
