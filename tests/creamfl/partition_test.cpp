// A CreamFL partition after a deletion request (creamfl::without_pairs): the pairs leave the
// public set and every emoji client, a uni-modal client keeps an item only while a pair that
// shows it remains, Fashion-MNIST pairs leave their client, and the validation gallery is
// untouched.
#include "lethe/creamfl/partition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "common/creamfl_tiny.h"
#include "lethe/creamfl/train.h"
#include "lethe/experiment/experiment.h"

namespace lethe::creamfl {
namespace {

bool has(const std::vector<int64_t>& v, int64_t x) { return std::binary_search(v.begin(), v.end(), x); }

TEST(CreamPartition, WithoutPairsRemovesThemFromThePublicSetAndEveryEmojiClient) {
  const auto cfg = experiment::parse_experiment(lethe::testing::kTinyCreamToml, "cream.toml", {});
  const auto ds = data::load(cfg.data);
  const auto part = run_partition({cfg.creamfl, cfg.fl, cfg.train, cfg.data}, ds, nullptr, cfg.run.context.seed);
  ASSERT_EQ(part.parties.size(), 5u);
  const auto& image = part.parties[2];
  const auto& text = part.parties[3];
  ASSERT_EQ(image.kind, PartyKind::kImage);
  ASSERT_EQ(text.kind, PartyKind::kText);
  // Every party records the pairs its items come from (a Fashion-MNIST pair is its image).
  for (int64_t p : image.pairs) EXPECT_TRUE(has(image.items, ds.pairs[p].image));
  for (int64_t p : text.pairs) EXPECT_TRUE(has(text.items, ds.pairs[p].caption));
  EXPECT_EQ(part.parties[0].pairs, part.parties[0].items);
  EXPECT_EQ(part.parties[4].pairs, part.parties[4].items);

  // Forget three public pairs, half of client 0's, and every pair of the image client that
  // shows its first image.
  std::set<int64_t> forget(part.public_pairs.begin(), part.public_pairs.begin() + 3);
  const auto& p0 = part.parties[0].pairs;
  forget.insert(p0.begin(), p0.begin() + static_cast<std::ptrdiff_t>(p0.size() / 2));
  const int64_t first_image = image.items.front();
  for (int64_t p : image.pairs)
    if (ds.pairs[p].image == first_image) forget.insert(p);
  const std::vector<int64_t> f(forget.begin(), forget.end());
  const auto after = without_pairs(part, ds, cfg.creamfl.class_label, f);

  EXPECT_EQ(after.public_pairs.size(), part.public_pairs.size() - 3);
  EXPECT_EQ(after.val_pairs, part.val_pairs);
  EXPECT_EQ(after.parties[0].items.size(), p0.size() - p0.size() / 2);
  for (const auto& d : after.parties) {
    if (d.kind != PartyKind::kFashion)  // emoji pair ids; a fashion party's are Fashion-MNIST's
      for (int64_t p : d.pairs) EXPECT_FALSE(forget.count(p)) << d.name;
    if (d.kind != PartyKind::kPaired) EXPECT_EQ(d.labels.size(), d.items.size()) << d.name;
  }
  for (int64_t p : after.public_pairs) EXPECT_FALSE(forget.count(p));
  EXPECT_FALSE(has(after.parties[2].items, first_image));
  EXPECT_EQ(after.parties[2].items.size(), image.items.size() - 1);
  EXPECT_EQ(after.parties[3].items, text.items) << "no pair of the text client was forgotten";
  EXPECT_EQ(to_json(after)["parties"][4], to_json(part)["parties"][4]) << "no Fashion-MNIST pair was forgotten";

  // Fashion-MNIST pairs (its own ids) leave the fashion client, each label with its image.
  const auto fashion = fashion_data({cfg.creamfl, cfg.fl, cfg.train, cfg.data});
  const auto& fm = part.parties[4];
  const std::vector<int64_t> gone(fm.pairs.begin(), fm.pairs.begin() + 5);
  const auto without_fm = without_pairs(part, ds, cfg.creamfl.class_label, {}, &fashion, gone);
  const auto& kept = without_fm.parties[4];
  EXPECT_EQ(kept.items.size(), fm.items.size() - 5);
  for (int64_t p : gone) EXPECT_FALSE(has(kept.items, fashion.pairs[p].image));
  for (size_t i = 0; i < kept.items.size(); ++i)
    EXPECT_EQ(fashion.label_column("class").names[kept.labels[i]], fashion.label("class", kept.items[i]));
  EXPECT_EQ(without_fm.public_pairs, part.public_pairs);
  EXPECT_EQ(without_fm.parties[0].items, part.parties[0].items);
}

}  // namespace
}  // namespace lethe::creamfl
