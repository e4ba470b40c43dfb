#include "lethe/tokenize/bpe.h"

#include <algorithm>
#include <climits>
#include <unordered_set>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/gzip.h"
#include "lethe/tokenize/bpe_trainer.h"
#include "lethe/tokenize/byte_unicode.h"
#include "lethe/tokenize/pretokenize.h"

namespace lethe::tokenize {

namespace {

constexpr std::string_view kWordEnd = "</w>";
constexpr std::string_view kHeader = "#version: 0.2\n";
constexpr int64_t kNonMergeTokens = 256 + 256 + 2;  // byte symbols, their "</w>" forms, specials

// A line quoted in an error message, cut short so that the message stays one readable line.
std::string excerpt(std::string_view line) {
  constexpr size_t kMax = 60;
  return line.size() <= kMax ? std::string(line) : std::string(line.substr(0, kMax)) + "...";
}

}  // namespace

BpeTokenizer::BpeTokenizer() : BpeTokenizer(std::vector<std::pair<std::string, std::string>>{}) {}

BpeTokenizer::BpeTokenizer(std::vector<std::pair<std::string, std::string>> merges)
    : merges_(std::move(merges)) {
  const auto& alphabet = byte_alphabet();
  auto add = [this](std::string symbol, std::string text) {
    encoder_[symbol] = static_cast<int64_t>(vocab_.size());  // a repeated symbol keeps the last id
    vocab_.push_back(std::move(symbol));
    text_.push_back(std::move(text));
  };
  for (int i = 0; i < 256; ++i) add(alphabet.text[i], std::string(1, alphabet.byte_of_id[i]));
  for (int i = 0; i < 256; ++i)
    add(alphabet.text[i] + std::string(kWordEnd), std::string(1, alphabet.byte_of_id[i]) + ' ');
  for (const auto& [a, b] : merges_) {
    auto ia = encoder_.find(a), ib = encoder_.find(b);
    LETHE_ASSERT(ia != encoder_.end() && ib != encoder_.end());
    add(a + b, text_[ia->second] + text_[ib->second]);
  }
  add(std::string(kStartOfText), "");
  add(std::string(kEndOfText), "");
  LETHE_ASSERT(vocab_.size() < (size_t{1} << 31));  // ids are int32 inside words

  // With the final encoder, as CLIP: a repeated pair keeps its last rank.
  for (size_t r = 0; r < merges_.size(); ++r) {
    const auto& [a, b] = merges_[r];
    auto key = pair_key(static_cast<int32_t>(encoder_.at(a)), static_cast<int32_t>(encoder_.at(b)));
    merge_of_pair_[key] = {static_cast<int64_t>(r), encoder_.at(a + b)};
  }
}

BpeTokenizer BpeTokenizer::train(const std::vector<std::string>& corpus, int num_merges) {
  return BpeTokenizer(learn_merges(corpus, num_merges));
}

BpeTokenizer BpeTokenizer::load(const std::string& merges_path, int max_merges) {
  return from_merges_text(read_file(merges_path), fmt::format("merges file '{}'", merges_path),
                          max_merges);
}

BpeTokenizer BpeTokenizer::for_vocab_size(const std::string& merges_path, int64_t vocab_size) {
  const int64_t wanted = vocab_size - kNonMergeTokens;
  LETHE_CHECK(wanted >= 0 && wanted <= INT_MAX,
              "merges file '{}': vocabulary size {} is outside [{}, {}] (514 byte and special "
              "tokens + merges)",
              merges_path, vocab_size, kNonMergeTokens, kNonMergeTokens + INT_MAX);
  auto tok = load(merges_path, static_cast<int>(wanted));
  LETHE_CHECK(static_cast<int64_t>(tok.num_merges()) == wanted,
              "merges file '{}' has {} merges, fewer than the {} that vocabulary size {} needs",
              merges_path, tok.num_merges(), wanted, vocab_size);
  return tok;
}

BpeTokenizer BpeTokenizer::from_merges_text(std::string_view bytes, const std::string& source,
                                            int max_merges) {
  const bool zipped = is_gzip(bytes);
  const std::string unzipped = zipped ? gunzip(bytes, source) : std::string();
  std::string_view text = zipped ? std::string_view(unzipped) : bytes;
  LETHE_CHECK(!text.empty(), "{} is empty", source);
  const auto& alphabet = byte_alphabet();
  std::unordered_set<std::string> known;  // symbols a merge may use: bytes and earlier merges
  for (const auto& t : alphabet.text) {
    known.insert(t);
    known.insert(t + std::string(kWordEnd));
  }
  std::vector<std::pair<std::string, std::string>> merges;
  for (size_t line_no = 1; !text.empty(); ++line_no) {
    if (max_merges >= 0 && merges.size() >= static_cast<size_t>(max_merges)) break;
    auto eol = text.find('\n');
    auto line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);  // CRLF files; no symbol holds a raw '\r'
    if (line_no == 1 && line.starts_with("#version")) continue;

    auto space = line.find(' ');
    bool two = space != std::string_view::npos && space > 0 && space + 1 < line.size() &&
               line.find(' ', space + 1) == std::string_view::npos;
    LETHE_CHECK(two, "{} line {}: expected two symbols separated by one space, got '{}'", source,
                line_no, excerpt(line));
    std::string a(line.substr(0, space)), b(line.substr(space + 1));
    for (const auto& part : {a, b})
      LETHE_CHECK(known.contains(part),
                  "{} line {}: unknown symbol '{}' (neither a byte symbol nor made by an earlier "
                  "merge)",
                  source, line_no, excerpt(part));
    LETHE_CHECK(!a.ends_with(kWordEnd), "{} line {}: '{}' ends a word, so no symbol can follow it",
                source, line_no, excerpt(a));
    known.insert(a + b);
    merges.emplace_back(std::move(a), std::move(b));
  }
  return BpeTokenizer(std::move(merges));
}

std::string BpeTokenizer::to_merges_text() const {
  std::string out(kHeader);
  for (const auto& [a, b] : merges_) out += a + ' ' + b + '\n';
  return out;
}

void BpeTokenizer::save(const std::string& merges_path) const {
  const auto text = to_merges_text();
  write_file_atomic(merges_path, merges_path.ends_with(".gz") ? gzip(text) : text);
}

// CLIP's bpe(): repeatedly apply the lowest-ranked merge present in the word.
void BpeTokenizer::encode_piece(const std::string& piece, std::vector<int64_t>& out) const {
  const auto& alphabet = byte_alphabet();
  std::vector<int32_t> word;
  word.reserve(piece.size());
  for (unsigned char b : piece) word.push_back(alphabet.id_of_byte[b]);
  word.back() += 256;  // the "</w>" form
  while (word.size() > 1) {
    const MergeTarget* best = nullptr;
    size_t at = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = merge_of_pair_.find(pair_key(word[i], word[i + 1]));
      if (it != merge_of_pair_.end() && (!best || it->second.rank < best->rank)) {
        best = &it->second;
        at = i;
      }
    }
    if (!best) break;
    merge_pair(word, word[at], word[at + 1], static_cast<int32_t>(best->id));
  }
  out.insert(out.end(), word.begin(), word.end());
}

std::vector<int64_t> BpeTokenizer::encode(std::string_view text) const {
  std::vector<int64_t> ids;
  for (const auto& piece : pretokenize(text)) {
    if (piece == kStartOfText)
      ids.push_back(sot());
    else if (piece == kEndOfText)
      ids.push_back(eot());
    else
      encode_piece(piece, ids);
  }
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  bool word_ended = false;
  for (int64_t id : ids) {
    LETHE_CHECK(id >= 0 && id < vocab_size(), "token id {} is outside the vocabulary [0, {})", id,
                vocab_size());
    if (id == sot() || id == eot()) continue;
    out += text_[id];
    word_ended = vocab_[id].ends_with(kWordEnd);
  }
  if (word_ended) out.pop_back();
  return out;
}

torch::Tensor BpeTokenizer::encode_batch(const std::vector<std::string>& texts,
                                         int64_t context_length) const {
  LETHE_CHECK(context_length >= 3,
              "context_length must be >= 3 (start, at least one token, end), got {}",
              context_length);
  auto tokens = torch::zeros({static_cast<int64_t>(texts.size()), context_length}, torch::kInt64);
  auto rows = tokens.accessor<int64_t, 2>();
  for (size_t i = 0; i < texts.size(); ++i) {
    auto ids = encode(texts[i]);
    auto n = std::min<int64_t>(static_cast<int64_t>(ids.size()), context_length - 2);
    rows[i][0] = sot();
    for (int64_t j = 0; j < n; ++j) rows[i][j + 1] = ids[j];
    rows[i][n + 1] = eot();
  }
  return tokens;
}

const std::string& BpeTokenizer::token(int64_t id) const {
  LETHE_CHECK(id >= 0 && id < vocab_size(), "token id {} is outside the vocabulary [0, {})", id,
              vocab_size());
  return vocab_[id];
}

}  // namespace lethe::tokenize
