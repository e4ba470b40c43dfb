#include "lethe/unlearn/forget_set.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/rng.h"
#include "lethe/core/strings.h"
#include "lethe/unlearn/streams.h"

namespace lethe::unlearn {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Units of client k's training pairs, in order of first appearance.
std::vector<int64_t> units_of(const data::Dataset& ds, const std::vector<int64_t>& pairs) {
  std::vector<int64_t> units;
  std::set<int64_t> seen;
  for (int64_t p : pairs)
    if (seen.insert(ds.pairs[p].unit).second) units.push_back(ds.pairs[p].unit);
  return units;
}

std::vector<int64_t> read_ids(const std::string& path) {
  std::ifstream in(path);
  LETHE_CHECK(in.good(), "samples:@{}: the file cannot be read", path);
  std::vector<int64_t> ids;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    try {
      size_t used = 0;
      ids.push_back(std::stoll(line, &used));
      LETHE_CHECK(used == line.size(), "x");
    } catch (const std::exception&) {
      throw InputError(fmt::format("samples:@{}: line {} ('{}') is not a pair id", path, line_no, line));
    }
  }
  return ids;
}

}  // namespace

bool has_word(const std::string& text, const std::string& word) {
  const std::string t = lower(text);
  for (size_t pos = t.find(word); pos != std::string::npos; pos = t.find(word, pos + 1)) {
    const bool left = pos == 0 || !std::isalnum(static_cast<unsigned char>(t[pos - 1]));
    const size_t end = pos + word.size();
    const bool right = end == t.size() || !std::isalnum(static_cast<unsigned char>(t[end]));
    if (left && right) return true;
  }
  return false;
}

bool mentions(const data::Dataset& ds, int64_t caption, const std::string& word) {
  if (has_word(ds.captions[caption], word)) return true;
  if (caption < static_cast<int64_t>(ds.caption_tags.size()))
    for (const auto& t : ds.caption_tags[caption])
      if (has_word(t, word)) return true;
  return false;
}

nlohmann::json ForgetSet::manifest() const {
  return {{"request", request.str()},   {"forget", forget},
          {"holders", holders},         {"removed_clients", removed_clients},
          {"holdout", holdout},         {"retain_count", retain.size()}};
}

ForgetSet make_forget_set(const Request& request, const data::Dataset& ds,
                          const experiment::ClientData& clients, uint64_t seed) {
  const int64_t n_clients = clients.num_clients();
  std::set<int64_t> forget;  // pair ids
  auto check_client = [&](int64_t k) {
    LETHE_CHECK(k >= 0 && k < n_clients, "request '{}': client {} does not exist (clients 0..{})",
                request.str(), k, n_clients - 1);
  };
  switch (request.kind) {
    case Request::Kind::kClient:
      check_client(request.client);
      forget.insert(clients.train[request.client].begin(), clients.train[request.client].end());
      break;
    case Request::Kind::kSamples: {
      std::set<int64_t> units;
      if (request.ids_file.empty()) {
        check_client(request.client);
        auto u = units_of(ds, clients.train[request.client]);
        auto rng = unlearn_engine(seed, UnlearnTag::kSampleRequest, request.client);
        auto perm = permutation(static_cast<int64_t>(u.size()), rng);
        const auto take = std::max<int64_t>(1, std::llround(request.fraction * double(u.size())));
        for (int64_t i = 0; i < std::min<int64_t>(take, u.size()); ++i) units.insert(u[perm[i]]);
      } else {
        std::set<int64_t> train_pairs;
        for (const auto& c : clients.train) train_pairs.insert(c.begin(), c.end());
        for (int64_t p : read_ids(request.ids_file)) {
          LETHE_CHECK(train_pairs.count(p), "samples:@{}: pair {} is not a training pair of this run",
                      request.ids_file, p);
          units.insert(ds.pairs[p].unit);  // all captions of an image (or images of a caption)
        }
      }
      for (const auto& c : clients.train)
        for (int64_t p : c)
          if (units.count(ds.pairs[p].unit)) forget.insert(p);
      break;
    }
    case Request::Kind::kConcept:
      for (const auto& c : clients.train)
        for (int64_t p : c)
          if (mentions(ds, ds.pairs[p].caption, request.word)) forget.insert(p);
      LETHE_CHECK(!forget.empty(), "request '{}': no training caption or tag mentions '{}'",
                  request.str(), request.word);
      break;
    case Request::Kind::kEntities:
      throw InputError(fmt::format("request '{}' forgets what a multimodal LM saw of some emoji: "
                                   "it applies to run.mode = \"mllm\" runs", request.str()));
  }
  LETHE_CHECK(!forget.empty(), "request '{}': the forget set is empty", request.str());

  ForgetSet fs;
  fs.request = request;
  fs.forget.assign(forget.begin(), forget.end());
  fs.retained.train.resize(n_clients);
  fs.retained.val = clients.val;
  for (int64_t k = 0; k < n_clients; ++k) {
    bool holds = false;
    for (int64_t p : clients.train[k]) {
      if (forget.count(p)) {
        holds = true;
      } else {
        fs.retained.train[k].push_back(p);
        fs.retain.push_back(p);
      }
    }
    if (holds) {
      fs.holders.push_back(k);
      fs.holdout.insert(fs.holdout.end(), clients.val[k].begin(), clients.val[k].end());
    }
  }
  if (request.kind == Request::Kind::kClient) fs.removed_clients = {request.client};
  std::sort(fs.retain.begin(), fs.retain.end());
  std::sort(fs.holdout.begin(), fs.holdout.end());
  fs.holdout.erase(std::unique(fs.holdout.begin(), fs.holdout.end()), fs.holdout.end());  // shared galleries
  fs.sha256 = sha256_hex(fs.manifest().dump());
  return fs;
}

}  // namespace lethe::unlearn
