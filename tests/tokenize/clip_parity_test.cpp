// Lethe's CLIP tokenizer against tests/reference/clip_tokenizer.py, a Python transcription of
// OpenCLIP's SimpleTokenizer (with the same ftfy subset): a few hundred seeded captions mixing
// English, HTML references, quotes, ligatures, fullwidth forms, control characters, terminal
// escapes, Greek sigmas, special-token text and random code points from many Unicode blocks must
// give identical id rows. Needs /usr/bin/python3 with Debian's python3-regex.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/test_util.h"
#include "lethe/tokenize/bpe.h"
#include "lethe/tokenize/unicode.h"

namespace lethe::tokenize {
namespace {

namespace fs = std::filesystem;
using Rows = std::vector<std::vector<int64_t>>;

constexpr const char* kPython = "/usr/bin/python3";

fs::path reference_script() {
  if (const char* src = std::getenv("LETHE_SOURCE"))
    return fs::path(src) / "tests/reference/clip_tokenizer.py";
  return fs::path(__FILE__).parent_path().parent_path() / "reference/clip_tokenizer.py";
}

// Runs a shell command; returns its standard output and sets `status` to its exit status.
std::string run(const std::string& command, int& status) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) {
    status = -1;
    return "";
  }
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  status = ::pclose(pipe);
  return out;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// Blocks whose letters and numbers are the same in Python's Unicode 14 tables and in the regex
// module's newer ones (no code point in them was assigned after Unicode 14).
constexpr std::pair<char32_t, char32_t> kBlocks[] = {
    {0x00A0, 0x024F},   {0x0250, 0x036F},   {0x0370, 0x052F},   {0x0530, 0x06FF},
    {0x0900, 0x097F},   {0x0E00, 0x0E7F},   {0x10A0, 0x11FF},   {0x1E00, 0x1FFF},
    {0x2000, 0x22FF},   {0x2460, 0x27BF},   {0x3000, 0x30FF},   {0x4E00, 0x9FFF},
    {0xAC00, 0xD7A3},   {0xE000, 0xE0FF},   {0xFB00, 0xFB4F},   {0xFE00, 0xFE0F},
    {0xFE70, 0xFFFF},   {0x1D400, 0x1D7FF}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF},
    {0x20000, 0x200FF}, {0xE0000, 0xE007F},
};

const std::vector<std::string> kWords = {
    "cat",    "face",     "grinning", "Photo", "DOG",  "of",     "a",        "the",
    "tears",  "joy",      "boat",     "Skin",  "tone", "café",   "Ñandú",    "naïve",
    "Straße", "İstanbul", "ΟΔΟΣ",     "Σοφία", "МИР",  "日本語", "テキスト", "한국어",
    "עברית",  "العربية",  "हिन्दी",    "ไทย",   "ſtop"};

const std::vector<std::string> kFragments = {
    // contractions, quotes, apostrophes
    "'s", "'T", "'re", "'VE", "'m", "'ll", "'d", "’s", "‘quoted’", "“double”", "„low‟", "ʼn",
    "'''s", "?'s", "rock'n'roll", "'ſ",
    // HTML references: ftfy's and html.unescape's rules
    "&amp;", "&amp", "&AMP;", "&Amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x27;", "&#X41;",
    "&#0;", "&#13;", "&#128;", "&#x92;", "&#129;", "&#1;", "&#xD800;", "&#1114112;", "&#65",
    "&#59;", "&#65a;", "&nbsp", "&nbsp;", "&copy", "&notit;", "&EACUTE;", "&SZLIG;", "&eAcute;",
    "&amp;amp;", "&amp;amp;amp;lt;", "&;", "&#;", "&# ;", "&hellip;", "&rsquo;", "&fjlig;",
    "&NotEqualTilde;", "&CounterClockwiseContourIntegral;", "&ThickSpace;", "&x", "& amp;",
    // '<' switches ftfy's entity decoding off for the rest of the text
    "<", "<b>", "a<3",
    // ligatures, widths, C1 controls, terminal escapes, control characters, line breaks
    "ﬁ", "ﬂ", "ﬃ", "ﬅ", "Ĳ", "ǅ", "Ǳ", "ＣＡＴ", "ｈｉ！", "\u3000", "ｶﾞ", "￣", "\u0085", "\u0093",
    "\u0092", "\u0081", "\x1b[31m", "\x1b[1;2H", "\x1b[", "\x1b[\u0663m", "\u2028", "\u2029",
    "\ufeff", "\u206a", "\ufffc", "\u200b", "\x7f", "\x1c", std::string(1, '\0'), "\x07", "\r\n",
    "\r", "\v", "\f",
    // case: final sigma and its context, dotted I, long s, Kelvin sign, combining marks
    "ΑΣ", "ΑΣ'", "ΑΣ'Α", "Α'Σ", "ΑΣ\u0301", "ΑΣ\u0301Β", "Σ", "İ", "ſ", "\u212a", "e\u0301",
    "\u0345",
    // special-token text
    "<start_of_text>", "<END_OF_TEXT>", "<ſtart_of_text>", "<<start_of_text>", "<end_of_text",
    // emoji and symbols next to letters
    "hi😀", "😀!", "👍🏽", "🏳️‍🌈", "x²", "½", "Ⅻ", "٣", "№5"};

const std::vector<std::string> kSeparators = {" ",  " ",  " ",      "",      "  ",
                                              "\t", "\n", "\u00a0", "\u3000"};

class CaptionMaker {
 public:
  explicit CaptionMaker(unsigned seed) : gen_(seed) {}

  std::string caption() {
    std::string out;
    for (int parts = pick(1, 14); parts > 0; --parts) {
      out += part();
      out += kSeparators[pick(0, kSeparators.size() - 1)];
    }
    return out;
  }

 private:
  int pick(size_t lo, size_t hi) {
    return std::uniform_int_distribution<int>(static_cast<int>(lo), static_cast<int>(hi))(gen_);
  }

  std::string part() {
    switch (pick(0, 5)) {
      case 0:
      case 1:
        return kWords[pick(0, kWords.size() - 1)];
      case 2:
        return kFragments[pick(0, kFragments.size() - 1)];
      case 3: {
        std::string digits;
        for (int i = pick(1, 5); i > 0; --i) digits += static_cast<char>('0' + pick(0, 9));
        if (pick(0, 1)) digits += ".,!?-_/()"[pick(0, 8)];
        return digits;
      }
      default: {
        const auto [lo, hi] = kBlocks[pick(0, std::size(kBlocks) - 1)];
        std::string s;
        for (int i = pick(1, 4); i > 0; --i) append_utf8(s, static_cast<char32_t>(pick(lo, hi)));
        return s;
      }
    }
  }

  std::mt19937 gen_;
};

TEST(ClipParity, MatchesThePythonReference) {
  const auto script = reference_script();
  ASSERT_TRUE(fs::exists(script)) << script;
  int status = 0;
  const auto version = run(
      std::string(kPython) + " -c 'import regex, unicodedata; print(unicodedata.unidata_version)'",
      status);
  ASSERT_EQ(status, 0) << kPython << " with the regex module is needed (apt-get install "
                       << "python3-regex)";
  ASSERT_EQ(version, std::string(unicode_version()) + "\n")
      << "Python's Unicode differs from the tables: run scripts/gen_unicode_tables.py";

  CaptionMaker maker(20240530);
  std::vector<std::string> captions(400);
  for (auto& c : captions) c = maker.caption();
  std::vector<std::string> corpus = captions;
  for (int i = 0; i < 400; ++i) corpus.push_back(maker.caption());
  const auto dir = lethe::testing::test_temp_dir("tokenize");
  const auto merges = dir / "merges.txt.gz";
  BpeTokenizer::train(corpus, 800).save(merges.string());
  const int64_t vocab_size = BpeTokenizer::load(merges.string()).vocab_size();
  const auto tok = BpeTokenizer::for_vocab_size(merges.string(), vocab_size);
  ASSERT_GT(tok.num_merges(), 500u);

  const auto texts = dir / "texts.json";
  std::ofstream(texts, std::ios::binary) << nlohmann::json(captions).dump();
  constexpr int64_t kContext = 96;
  const auto out = run(std::string(kPython) + " " + quoted(script) + " " + quoted(merges) + " " +
                           std::to_string(vocab_size) + " " + quoted(texts) + " " +
                           std::to_string(kContext) + " 2> " + quoted(dir / "stderr.txt"),
                       status);
  ASSERT_EQ(status, 0) << "the reference failed; see " << dir / "stderr.txt";
  const auto expected = nlohmann::json::parse(out).get<Rows>();
  ASSERT_EQ(expected.size(), captions.size());

  const auto ids = tok.encode_batch(captions, kContext);
  int mismatches = 0;
  for (size_t i = 0; i < captions.size(); ++i) {
    auto row = ids[static_cast<int64_t>(i)].contiguous();
    const std::vector<int64_t> got(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + kContext);
    if (got == expected[i]) continue;
    if (++mismatches <= 5)
      ADD_FAILURE() << "caption " << i << " " << nlohmann::json(captions[i]).dump()
                    << "\n  lethe:  " << nlohmann::json(got).dump()
                    << "\n  python: " << nlohmann::json(expected[i]).dump();
  }
  EXPECT_EQ(mismatches, 0) << "of " << captions.size() << " captions";
}

}  // namespace
}  // namespace lethe::tokenize
