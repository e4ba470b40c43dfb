#pragma once
// A small multimodal-LM setting shared by the mllm and unlearn tests: the first emoji, a tiny
// CLIP and a tiny LM, fp32 on two threads.
#include "lethe/core/fs.h"
#include "lethe/data/emoji.h"
#include "lethe/data/registry.h"
#include "lethe/mllm/train.h"
#include "lethe/train/text.h"

namespace lethe::testing {

inline bool have_emoji() {
  return file_exists(data::emoji_dir(data::DataConfig{}) + "/emoji-datasource/emoji.json");
}

inline data::DataConfig emoji_config(int64_t limit) {
  data::DataConfig c;
  c.image_size = 16;
  c.skin_tones = false;
  c.limit = limit;
  return c;
}

// A small world: the first `limit` emoji, a tiny CLIP and a tiny LM.
struct MllmFixture {
  explicit MllmFixture(int64_t limit)
      : ds(data::load(emoji_config(limit))), world(mllm::make_world(ds)), ctx(ctx_config()) {
    clip.preset = "tiny";
    clip = clip.resolved();
    clip.image_size = 16;
    text = train::learn_text(ds, 50, clip.context_length);
    clip.vocab_size = text.tokenizer.vocab_size();
    clip_train.epochs = 2;
    clip_train.batch_size = 32;
    clip_train.augment_shift = 0;
    cfg.width = 64;
    cfg.heads = 2;
    cfg.layers = 2;
    cfg.num_merges = 200;
    cfg.batch_size = 32;
  }
  static ContextConfig ctx_config() {
    ContextConfig c;
    c.threads = 2;
    c.precision = "fp32";
    return c;
  }
  mllm::LmSetup setup() const { return {ds, world, text.tokens, clip, clip_train, cfg, ctx}; }

  data::Dataset ds;
  mllm::QaWorld world;
  Context ctx;
  models::ClipConfig clip;
  train::TextData text;
  train::TrainConfig clip_train;
  mllm::MllmConfig cfg;
};

}  // namespace lethe::testing
