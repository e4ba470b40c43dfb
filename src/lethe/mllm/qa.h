#pragma once
// The emoji question-answering world of the multimodal LM (METHODS.md §5). An *entity* is an
// emoji (a dataset unit); it has a label ("cat face"), a group ("animals & nature"), a keyword
// (its first emojibase tag that is not a word of the label) and images (the train vendors' in
// the train split, the held-out vendor's in the test split). Four questions:
//   image + "what is this emoji?"                       → label        (VQA)
//   image + "which group is this emoji in?"             → group        (VQA)
//   "which group is <label> in?"                        → group        (text-only QA)
//   "name a keyword for <label>."                       → keyword      (text-only QA; entities
//                                                                        without tags have none)
#include <cstdint>
#include <string>
#include <vector>

#include "lethe/data/dataset.h"

namespace lethe::mllm {

enum class Question : int { kVqaLabel = 0, kVqaGroup = 1, kQaGroup = 2, kQaKeyword = 3 };
inline constexpr int kNumQuestions = 4;
const char* question_name(Question q);
inline bool is_visual(Question q) { return q == Question::kVqaLabel || q == Question::kVqaGroup; }

struct Entity {
  std::string label, group, keyword;  // keyword "" when the emoji has no usable tag
  std::vector<int64_t> train_images, test_images;  // dataset image ids
};

struct QaItem {
  int64_t entity = 0;
  int64_t image = -1;  // dataset image id; -1 for a text-only question
  Question question = Question::kVqaLabel;
  std::string prompt, answer;
};

struct QaWorld {
  std::vector<Entity> entities;  // indexed by the dataset's unit id

  // The image questions on each image of `entity_ids` (train images, or the held-out vendor's).
  std::vector<QaItem> visual_items(const std::vector<int64_t>& entity_ids, bool held_out) const;
  // The text-only questions on `entity_ids`.
  std::vector<QaItem> text_items(const std::vector<int64_t>& entity_ids) const;
  // Every distinct answer to question q (the 4-way multiple choice draws its distractors here).
  std::vector<std::string> answers(Question q) const;
  // Every prompt and answer text (the LM's tokenizer is learnt on it).
  std::vector<std::string> corpus() const;
  std::vector<int64_t> all_entities() const;
};

// Builds the world from an emoji dataset loaded with data.caption = "label" (the caption is the
// label); InputError when the dataset has no "group" label column.
QaWorld make_world(const data::Dataset& ds);

}  // namespace lethe::mllm
