// The multimodal LM (METHODS.md §5): the emoji question world, batches and their loss mask,
// the model's layout (causal, right padding, per-row images), training to the point of
// answering, decoding, multiple choice and checkpoints.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "common/test_util.h"
#include "mllm/fixture.h"
#include "lethe/core/fs.h"
#include "lethe/core/metrics.h"
#include "lethe/data/emoji.h"
#include "lethe/data/registry.h"
#include "lethe/mllm/train.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/text.h"

namespace lethe::mllm {
namespace {

using lethe::testing::expect_input_error;
using lethe::testing::test_temp_dir;
using lethe::testing::have_emoji;
using Fixture = lethe::testing::MllmFixture;

TEST(MllmWorld, EntitiesQuestionsAndAnswers) {
  if (!have_emoji()) GTEST_SKIP() << "emoji npm packages not installed (run scripts/setup)";
  Fixture f(12);
  const auto all = f.world.all_entities();
  ASSERT_EQ(all.size(), 12u);
  const auto& e = f.world.entities[0];
  EXPECT_EQ(e.label, "grinning face");
  EXPECT_EQ(e.group, "smileys-emotion");
  EXPECT_EQ(e.train_images.size(), 3u);  // google, twitter, facebook
  EXPECT_EQ(e.test_images.size(), 1u);   // apple
  // The keyword is a tag that the label does not already say.
  ASSERT_FALSE(e.keyword.empty());
  EXPECT_EQ(e.label.find(e.keyword), std::string::npos);

  const auto seen = f.world.visual_items({0}, false), held = f.world.visual_items({0}, true);
  ASSERT_EQ(seen.size(), 6u);  // 3 images × 2 questions
  ASSERT_EQ(held.size(), 2u);
  for (const auto& it : seen) {
    EXPECT_GE(it.image, 0);
    EXPECT_TRUE(is_visual(it.question));
    EXPECT_EQ(it.answer, it.question == Question::kVqaLabel ? e.label : e.group);
  }
  const auto txt = f.world.text_items({0});
  ASSERT_EQ(txt.size(), 2u);
  for (const auto& it : txt) {
    EXPECT_EQ(it.image, -1);
    EXPECT_NE(it.prompt.find("grinning face"), std::string::npos) << it.prompt;
  }
  EXPECT_EQ(f.world.answers(Question::kVqaLabel).size(), 12u);
  EXPECT_EQ(training_items(f.world, {0}).size(), training_items(f.world, {}).size() - 6);
}

TEST(MllmWorld, NeedsEmojiGroups) {
  data::Dataset ds;
  ds.name = "shapes";
  expect_input_error([&] { make_world(ds); }, {"no 'group' labels", "emoji"});
}

TEST(MllmBatch, LossMaskCoversTheAnswerAndItsEnd) {
  if (!have_emoji()) GTEST_SKIP() << "emoji npm packages not installed (run scripts/setup)";
  Fixture f(8);
  auto lm = make_untrained_lm(f.setup());
  const auto items = training_items(f.world, {});
  const auto text = lm.text(f.ds);
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < static_cast<int64_t>(items.size()); i += 5) ids.push_back(i);
  auto b = make_batch(text, items, ids);
  int64_t n_images = 0;
  for (size_t r = 0; r < ids.size(); ++r) {
    const auto& it = items[ids[r]];
    n_images += it.image >= 0;
    const auto answer = lm.tok.encode(it.answer);
    // The masked targets are the answer's tokens then <end_of_text>.
    std::vector<int64_t> masked;
    for (int64_t j = 0; j < b.mask.size(1); ++j)
      if (b.mask[r][j].item<float>() == 1.0f) masked.push_back(b.targets[r][j].item<int64_t>());
    auto expected = answer;
    expected.push_back(lm.tok.eot());
    EXPECT_EQ(masked, expected) << it.prompt << " → " << it.answer;
    EXPECT_EQ(b.tokens[r][0].item<int64_t>(), lm.tok.sot());
  }
  EXPECT_EQ(b.image_rows.numel(), n_images);
  EXPECT_EQ(b.images.size(0), n_images);
}

TEST(MllmModel, RightPaddingAndOtherRowsNeverReachARow) {
  if (!have_emoji()) GTEST_SKIP() << "emoji npm packages not installed (run scripts/setup)";
  Fixture f(6);
  auto lm = make_untrained_lm(f.setup());
  lm.model->eval();
  const auto items = f.world.visual_items({0, 1}, false);
  const auto text = lm.text(f.ds);
  auto one = make_batch(text, items, {0});
  auto many = make_batch(text, items, {0, 1, 2, 3});
  const int64_t l = one.tokens.size(1);
  auto a = batch_logits(lm.model, one, f.ctx);
  auto b = batch_logits(lm.model, many, f.ctx).slice(0, 0, 1).slice(1, 0, l - 1);
  EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5));
  // The image matters: the same question on another emoji's image gives other logits.
  auto c = batch_logits(lm.model, make_batch(text, items, {6}), f.ctx);  // entity 1, same question
  EXPECT_FALSE(torch::allclose(a, c.slice(1, 0, a.size(1)), 1e-4, 1e-5));
  // A text-only question gets the learnt no-image prefix, whatever images other rows have.
  const auto txt = f.world.text_items({0});
  std::vector<QaItem> mixed = {txt[0], items[0]};
  auto alone = batch_logits(lm.model, make_batch(text, mixed, {0}), f.ctx);
  auto with = batch_logits(lm.model, make_batch(text, mixed, {0, 1}), f.ctx).slice(0, 0, 1);
  EXPECT_TRUE(torch::allclose(alone, with.slice(1, 0, alone.size(1)), 1e-4, 1e-5));
}

TEST(MllmTrain, LearnsToAnswerAndCheckpointsRoundTrip) {
  if (!have_emoji()) GTEST_SKIP() << "emoji npm packages not installed (run scripts/setup)";
  Fixture f(10);
  f.cfg.epochs = 150;
  f.cfg.lr = 3e-3;
  MetricsWriter metrics;
  auto lm = train_lm(f.setup(), {}, metrics);
  const QaGroups groups = {{"seen", f.world.visual_items(f.world.all_entities(), false)},
                           {"qa", f.world.text_items(f.world.all_entities())}};
  auto ev = evaluate_lm(lm, f.ds, f.world, groups, f.cfg, f.ctx);
  // Ten emoji, memorised: the LM names what it was shown and answers the text questions.
  const auto dump = to_json(ev).dump(1);
  EXPECT_GE(group(ev, "seen").by_question.at("vqa_label").exact, 80.0) << dump;
  EXPECT_GE(group(ev, "qa").all.exact, 80.0) << dump;
  EXPECT_GE(group(ev, "seen").by_question.at("vqa_label").choice, 80.0) << dump;
  EXPECT_THROW(group(ev, "vqa_forget"), InputError);

  // Same seed, same numbers; the checkpoint holds the model and its tokenizer.
  const auto dir = test_temp_dir("mllm");
  save_lm((dir / "lm.safetensors").string(), lm);
  auto back = load_lm((dir / "lm.safetensors").string(), f.cfg, f.clip);
  EXPECT_TRUE(lethe::testing::identical(state_dict(*lm.model), state_dict(*back.model)));
  EXPECT_EQ(back.tok.to_merges_text(), lm.tok.to_merges_text());
  EXPECT_EQ(evaluate_lm(back, f.ds, f.world, groups, f.cfg, f.ctx), ev);
  auto again = train_lm(f.setup(), {}, metrics);
  EXPECT_TRUE(lethe::testing::identical(state_dict(*lm.model), state_dict(*again.model)));

  // A CLIP checkpoint is not an LM checkpoint.
  train::save_checkpoint((dir / "clip.safetensors").string(), {}, f.clip, f.text.tokenizer);
  expect_input_error([&] { load_lm((dir / "clip.safetensors").string(), f.cfg, f.clip); },
                     {"clip.safetensors", "not a multimodal LM checkpoint"});
}

}  // namespace
}  // namespace lethe::mllm
