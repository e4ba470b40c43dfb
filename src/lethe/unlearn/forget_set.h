#pragma once
// A deletion request turned into sets of pair ids over a run's partition (DATA.md §5):
// D_f (forget), D_r (retain), the retained clients' data, who held D_f, and a manifest whose
// SHA-256 names the request everywhere (cache of the retrain reference, audit.json).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "lethe/data/dataset.h"
#include "lethe/experiment/federated.h"
#include "lethe/unlearn/request.h"

namespace lethe::unlearn {

struct ForgetSet {
  Request request;
  std::vector<int64_t> forget;   // D_f: training pair ids, ascending
  std::vector<int64_t> retain;   // D_r: every other training pair, ascending
  experiment::ClientData retained;       // the partition with D_f removed
  std::vector<int64_t> holders;          // clients that held pairs of D_f, ascending
  std::vector<int64_t> removed_clients;  // client requests: the client that leaves
  // Same-distribution non-members: the holders' validation pairs (never trained on).
  std::vector<int64_t> holdout;
  std::string sha256;  // of manifest().dump()

  nlohmann::json manifest() const;
};

// InputError for an unknown client, an empty forget set or a concept found nowhere.
// `seed` drives samples:K:FRACTION's choice of units.
ForgetSet make_forget_set(const Request& request, const data::Dataset& ds,
                          const experiment::ClientData& clients, uint64_t seed);

// Whole-word, case-insensitive match of a lower-case `word` in `text` (any non-alphanumeric
// character bounds a word).
bool has_word(const std::string& text, const std::string& word);

// Whole-word, case-insensitive match of `word` in a caption or its tags.
bool mentions(const data::Dataset& ds, int64_t caption, const std::string& word);

}  // namespace lethe::unlearn
