#include "lethe/mllm/qa.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "lethe/core/error.h"

namespace lethe::mllm {

namespace {

std::string prompt_of(Question q, const std::string& label) {
  switch (q) {
    case Question::kVqaLabel: return "q: what is this emoji? a:";
    case Question::kVqaGroup: return "q: which group is this emoji in? a:";
    case Question::kQaGroup: return "q: which group is " + label + " in? a:";
    case Question::kQaKeyword: return "q: name a keyword for " + label + ". a:";
  }
  return {};
}

const std::string& answer_of(Question q, const Entity& e) {
  return q == Question::kVqaLabel ? e.label : q == Question::kQaKeyword ? e.keyword : e.group;
}

// The first tag that is not a word of the label (a keyword the label does not give away), else
// the first tag.
std::string keyword_of(const std::string& label, const std::vector<std::string>& tags) {
  if (tags.empty()) return {};
  std::set<std::string> words;
  std::istringstream in(label);
  for (std::string w; in >> w;) words.insert(w);
  for (const auto& t : tags)
    if (!words.count(t)) return t;
  return tags.front();
}

}  // namespace

const char* question_name(Question q) {
  switch (q) {
    case Question::kVqaLabel: return "vqa_label";
    case Question::kVqaGroup: return "vqa_group";
    case Question::kQaGroup: return "qa_group";
    case Question::kQaKeyword: return "qa_keyword";
  }
  return "?";
}

QaWorld make_world(const data::Dataset& ds) {
  LETHE_CHECK(ds.labels.count("group"), "dataset '{}' has no 'group' labels: the multimodal LM needs the emoji set",
              ds.name);
  QaWorld w;
  w.entities.resize(static_cast<size_t>(ds.num_units()));
  std::vector<bool> seen(w.entities.size(), false);
  auto add = [&](const std::vector<int64_t>& ids, bool test) {
    for (auto p : ids) {
      const auto& pr = ds.pairs[p];
      auto& e = w.entities[pr.unit];
      if (!seen[pr.unit]) {
        seen[pr.unit] = true;
        e.label = ds.captions[pr.caption];
        e.group = ds.label("group", p);
        if (pr.caption < static_cast<int64_t>(ds.caption_tags.size()))
          e.keyword = keyword_of(e.label, ds.caption_tags[pr.caption]);
      }
      (test ? e.test_images : e.train_images).push_back(pr.image);
    }
  };
  add(ds.train, false);
  add(ds.test, true);
  return w;
}

std::vector<QaItem> QaWorld::visual_items(const std::vector<int64_t>& entity_ids, bool held_out) const {
  std::vector<QaItem> out;
  for (auto id : entity_ids) {
    const auto& e = entities.at(id);
    for (auto img : held_out ? e.test_images : e.train_images)
      for (auto q : {Question::kVqaLabel, Question::kVqaGroup})
        out.push_back({id, img, q, prompt_of(q, e.label), answer_of(q, e)});
  }
  return out;
}

std::vector<QaItem> QaWorld::text_items(const std::vector<int64_t>& entity_ids) const {
  std::vector<QaItem> out;
  for (auto id : entity_ids) {
    const auto& e = entities.at(id);
    if (e.label.empty()) continue;
    for (auto q : {Question::kQaGroup, Question::kQaKeyword})
      if (!answer_of(q, e).empty()) out.push_back({id, -1, q, prompt_of(q, e.label), answer_of(q, e)});
  }
  return out;
}

std::vector<std::string> QaWorld::answers(Question q) const {
  std::set<std::string> s;
  for (const auto& e : entities)
    if (!e.label.empty() && !answer_of(q, e).empty()) s.insert(answer_of(q, e));
  return {s.begin(), s.end()};
}

std::vector<std::string> QaWorld::corpus() const {
  std::vector<std::string> out;
  for (auto q : {Question::kVqaLabel, Question::kVqaGroup, Question::kQaGroup, Question::kQaKeyword})
    for (const auto& e : entities)
      if (!e.label.empty() && !answer_of(q, e).empty()) {
        out.push_back(prompt_of(q, e.label));
        out.push_back(answer_of(q, e));
      }
  return out;
}

std::vector<int64_t> QaWorld::all_entities() const {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < static_cast<int64_t>(entities.size()); ++i)
    if (!entities[i].label.empty()) out.push_back(i);
  return out;
}

}  // namespace lethe::mllm
