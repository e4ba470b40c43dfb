#include "lethe/tokenize/bpe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "lethe/core/error.h"
#include "lethe/tokenize/pretokenize.h"

namespace lethe::tokenize {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Ids = std::vector<int64_t>;
using Merges = std::vector<std::pair<std::string, std::string>>;

const std::vector<std::string> kCorpus = {"grinning face", "cat face", "face with tears of joy",
                                          "man rowing boat: light skin tone"};

// Worked by hand (and cross-checked with a Python transcription of CLIP's tokenizer): "face"
// occurs 3 times, so its pairs (a,c) (c,e</w>) (f,a) tie with (i,n) (2 in "grinning" + 1 in
// "rowing") at 3; the smallest, (a,c), goes first and builds "face</w>" in three steps. Then
// (i,n); at 2: (a,t</w>) "cat"/"boat" before (in,g</w>); then count-1 pairs in symbol order.
const Merges kGoldenMerges = {{"a", "c"},      {"ac", "e</w>"}, {"f", "ace</w>"}, {"i", "n"},
                              {"a", "t</w>"},  {"in", "g</w>"}, {"a", "n</w>"},   {"a", "r"},
                              {"ar", "s</w>"}, {"b", "o"},      {"bo", "at</w>"}, {"c", "at</w>"}};

fs::path temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const char* root = std::getenv("LETHE_TEST_TMP");
  fs::path dir = root ? fs::path(root) : fs::temp_directory_path();
  dir /= std::string("tokenize_") + info->name() + "_" + std::to_string(::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

std::string load_error(const std::string& path) {
  try {
    BpeTokenizer::load(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

// What a round trip through ids must give back: the pieces, one space apart.
std::string normalised(const std::string& text) {
  std::string out;
  for (const auto& piece : pretokenize(text)) out += (out.empty() ? "" : " ") + piece;
  return out;
}

const std::vector<std::string> kRoundTrip = {
    "grinning face",
    "  Grinning   FACE\twith\n big eyes  ",
    "",
    "man rowing boat: light skin tone",
    "it's 10:30, isn't it?!",
    "route 66 -- 1984...",
    "café",
    "piñata party",
    "😀",
    "face with tears of joy 😂😂",
    "flag: Côte d’Ivoire",
    "\"quoted\" (parens) [brackets] {braces} #hash @at $5 100% a&b",
    "x",
    "'''s ?'s",
    "日本語のテキスト",
    "tab\there",
    "zzzzzzzz qqqq"};

TEST(BpeTokenizer, TrainLearnsTheGoldenMerges) {
  auto tok = BpeTokenizer::train(kCorpus, 12);
  EXPECT_EQ(tok.merges(), kGoldenMerges);
  EXPECT_EQ(BpeTokenizer::train(kCorpus, 1000).num_merges(), 38u) << "stops when no pair is left";
}

TEST(BpeTokenizer, IdsFollowClipLayout) {
  auto tok = BpeTokenizer::train(kCorpus, 10);
  EXPECT_EQ(tok.vocab_size(), 256 + 256 + 10 + 2);
  EXPECT_EQ(tok.sot(), 522);
  EXPECT_EQ(tok.eot(), 523);
  EXPECT_EQ(tok.token(0), "!");
  EXPECT_EQ(tok.token(64), "a");
  EXPECT_EQ(tok.token(220), "\u0120");  // the space byte
  EXPECT_EQ(tok.token(320), "a</w>");   // as in CLIP: "a photo of a ..." starts 49406, 320
  EXPECT_EQ(tok.token(512), "ac");
  EXPECT_EQ(tok.token(514), "face</w>");
  EXPECT_EQ(tok.token(522), "<start_of_text>");
  EXPECT_EQ(tok.token(523), "<end_of_text>");
  EXPECT_THAT([&] { tok.token(524); }, ::testing::ThrowsMessage<InputError>(
                                           HasSubstr("token id 524 is outside the vocabulary")));
}

TEST(BpeTokenizer, EncodesTheGoldenSentence) {
  auto tok = BpeTokenizer::train(kCorpus, 10);
  // a</w> | c at</w> | face</w> | ,</w> | g r in n ing</w> | !</w>
  Ids expected = {320, 66, 516, 514, 267, 70, 81, 515, 77, 517, 256};
  EXPECT_EQ(tok.encode("A cat face, grinning!"), expected);
  EXPECT_EQ(tok.decode(expected), "a cat face , grinning !");
}

TEST(BpeTokenizer, ByteLevelIdsWithoutMerges) {
  BpeTokenizer tok;
  EXPECT_EQ(tok.vocab_size(), 514);
  EXPECT_EQ(tok.num_merges(), 0u);
  EXPECT_EQ(tok.encode("café"), (Ids{66, 64, 69, 127, 358}));  // é = C3 A9
  EXPECT_EQ(tok.encode("😀"), (Ids{172, 253, 246, 478}));       // F0 9F 98 80
  EXPECT_EQ(tok.encode("a 1"), (Ids{320, 272}));
  EXPECT_EQ(tok.decode({172, 253, 246, 478}), "😀");
}

TEST(BpeTokenizer, RoundTripsThroughIds) {
  std::vector<std::string> corpus = kCorpus;
  corpus.insert(corpus.end(), kRoundTrip.begin(), kRoundTrip.end());
  for (const auto& tok :
       {BpeTokenizer(), BpeTokenizer::train(kCorpus, 12), BpeTokenizer::train(corpus, 200)}) {
    for (const auto& text : kRoundTrip) {
      auto ids = tok.encode(text);
      EXPECT_EQ(tok.decode(ids), normalised(text)) << text;
      EXPECT_EQ(tok.encode(tok.decode(ids)), ids) << text;
    }
  }
}

TEST(BpeTokenizer, MergesShortenEncodings) {
  BpeTokenizer bytes;
  auto tok = BpeTokenizer::train(kCorpus, 12);
  EXPECT_EQ(tok.encode("face"), Ids{514});
  EXPECT_EQ(tok.encode("faces"), (Ids{69, 512, 68, 338})) << "f ac e s</w>: no merge ends in 'e'";
  EXPECT_LT(tok.encode("grinning face").size(), bytes.encode("grinning face").size());
}

TEST(BpeTokenizer, DecodeDropsSpecialsAndRejectsUnknownIds) {
  auto tok = BpeTokenizer::train(kCorpus, 10);
  EXPECT_EQ(tok.decode({tok.sot(), 514, tok.eot(), 0, 0}), "face !!");
  EXPECT_EQ(tok.decode({tok.sot(), 514, tok.eot()}), "face");
  EXPECT_EQ(tok.decode({64, 220}), "a ") << "a space byte that is not a word end is kept";
  EXPECT_EQ(tok.decode({}), "");
  for (int64_t bad : {int64_t{-1}, tok.vocab_size()}) {
    try {
      tok.decode({514, bad});
      FAIL() << "expected InputError for " << bad;
    } catch (const InputError& e) {
      EXPECT_THAT(e.what(),
                  HasSubstr(fmt::format("token id {} is outside the vocabulary [0, 524)", bad)));
    }
  }
}

TEST(BpeTokenizer, EncodeBatchAddsSpecialsPadsAndTruncates) {
  auto tok = BpeTokenizer::train(kCorpus, 10);
  auto t = tok.encode_batch({"cat face", "", "A cat face, grinning!"}, 6);
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{3, 6}));
  EXPECT_EQ(t.scalar_type(), torch::kInt64);
  auto row = [&](int64_t i) {
    auto r = t[i].contiguous();
    return Ids(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel());
  };
  EXPECT_EQ(row(0), (Ids{522, 66, 516, 514, 523, 0}));
  EXPECT_EQ(row(1), (Ids{522, 523, 0, 0, 0, 0}));
  EXPECT_EQ(row(2), (Ids{522, 320, 66, 516, 514, 523})) << "truncated, <end_of_text> kept last";
  EXPECT_EQ(tok.encode_batch({}, 8).sizes(), (std::vector<int64_t>{0, 8}));
  EXPECT_EQ(tok.encode_batch({"face"}, 3).index({0}).sum().item<int64_t>(), 522 + 514 + 523);
}

TEST(BpeTokenizer, EncodeBatchRejectsTooShortContext) {
  auto tok = BpeTokenizer::train(kCorpus, 10);
  EXPECT_THAT([&] { tok.encode_batch({"face"}, 2); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("context_length must be >= 3")));
}

TEST(BpeTokenizer, TrainingIsDeterministicAndOrderFree) {
  auto corpus = kCorpus;
  corpus.insert(corpus.end(), kRoundTrip.begin(), kRoundTrip.end());
  auto first = BpeTokenizer::train(corpus, 100).merges();
  EXPECT_EQ(BpeTokenizer::train(corpus, 100).merges(), first);
  std::reverse(corpus.begin(), corpus.end());
  EXPECT_EQ(BpeTokenizer::train(corpus, 100).merges(), first);
  EXPECT_THAT([&] { BpeTokenizer::train(corpus, -3); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("num_merges must be >= 0, got -3")));
}

TEST(BpeTokenizer, SaveThenLoadGivesTheSameTokenizer) {
  auto dir = temp_dir();
  std::vector<std::string> corpus = kCorpus;
  corpus.insert(corpus.end(), kRoundTrip.begin(), kRoundTrip.end());
  auto tok = BpeTokenizer::train(corpus, 150);
  auto path = (dir / "sub" / "merges.txt").string();
  tok.save(path);
  auto text = tok.to_merges_text();
  std::ifstream in(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), text);
  const auto& [a, b] = tok.merges().front();
  EXPECT_TRUE(text.starts_with("#version: 0.2\n" + a + " " + b + "\n")) << text.substr(0, 40);

  auto loaded = BpeTokenizer::load(path);
  EXPECT_EQ(loaded.merges(), tok.merges());
  EXPECT_EQ(loaded.vocab_size(), tok.vocab_size());
  for (const auto& s : kRoundTrip) EXPECT_EQ(loaded.encode(s), tok.encode(s)) << s;
  EXPECT_EQ(BpeTokenizer::from_merges_text(text).merges(), tok.merges());

  auto prefix = BpeTokenizer::load(path, 3);
  EXPECT_EQ(prefix.merges(), Merges(tok.merges().begin(), tok.merges().begin() + 3));
  EXPECT_EQ(prefix.vocab_size(), 517);
  auto fewer = BpeTokenizer::train(corpus, 3);
  for (const auto& s : kRoundTrip) EXPECT_EQ(prefix.encode(s), fewer.encode(s)) << s;

  BpeTokenizer bytes;
  auto empty = BpeTokenizer::from_merges_text(bytes.to_merges_text());
  EXPECT_EQ(empty.num_merges(), 0u) << "a header alone is a tokenizer without merges";
}

TEST(BpeTokenizer, LoadAcceptsClipFiles) {
  // OpenCLIP's header, CRLF line ends, no trailing newline; lines past max_merges are not read.
  auto t = BpeTokenizer::from_merges_text(
      "#version: 0.2 - Trained by huggingface/tokenizers\r\ni n\r\nt h\r\nth e</w>\r\nbad", "x", 3);
  EXPECT_EQ(t.merges(), (Merges{{"i", "n"}, {"t", "h"}, {"th", "e</w>"}}));
  EXPECT_EQ(t.encode("the thing"), (Ids{514, 513, 512, 326}));
  // Without a header the first line is a merge ("#" is a byte symbol).
  EXPECT_EQ(BpeTokenizer::from_merges_text("# #\n").merges(), (Merges{{"#", "#"}}));
  // A merge may repeat an earlier symbol's text; the symbol keeps the last id, as in CLIP.
  auto dup = BpeTokenizer::from_merges_text("#version: 0.2\nb c\na bc\na b\nab c\n");
  EXPECT_EQ(dup.token(513), "abc");
  EXPECT_EQ(dup.encode("abcd"), (Ids{515, 323})) << "a bc → abc (rank 1) takes id 515";
  EXPECT_EQ(dup.encode("bcd"), (Ids{512, 323}));
  EXPECT_EQ(dup.encode("abc"), (Ids{514, 322})) << "no merge makes c</w>'s pairs";
}

TEST(BpeTokenizer, LoadErrorsNameTheFileAndLine) {
  auto dir = temp_dir();
  auto missing = (dir / "missing.txt").string();
  EXPECT_THAT(load_error(missing), HasSubstr("cannot read file '" + missing + "'"));

  auto empty = write(dir / "empty.txt", "");
  EXPECT_THAT(load_error(empty), HasSubstr("merges file '" + empty + "' is empty"));

  auto gz = write(dir / "vocab.txt.gz", std::string("\x1f\x8b\x08\x00", 4));
  EXPECT_THAT(load_error(gz), HasSubstr("cannot decompress merges file '" + gz + "'"));

  struct Case {
    std::string text, message;
  };
  const std::vector<Case> cases = {
      {"#version: 0.2\ni n\nt\n", "line 3: expected two symbols separated by one space, got 't'"},
      {"#version: 0.2\ni n x\n",
       "line 2: expected two symbols separated by one space, got 'i n x'"},
      {"#version: 0.2\ni  n\n", "line 2: expected two symbols separated by one space, got 'i  n'"},
      {"#version: 0.2\ni\tn\n", "line 2: expected two symbols separated by one space, got 'i\tn'"},
      {"#version: 0.2\n i\n", "line 2: expected two symbols separated by one space, got ' i'"},
      {"#version: 0.2\ni n\n\nt h\n",
       "line 3: expected two symbols separated by one space, got ''"},
      {"#version: 0.2\ni n\n\n", "line 3: expected two symbols separated by one space, got ''"},
      {"#version: 0.2\ni n\nin g\nth e\n", "line 4: unknown symbol 'th' (neither a byte symbol"},
      {"#version: 0.2\ni n\nin </w>\n", "line 3: unknown symbol '</w>'"},
      {"#version: 0.2\nn g</w>\ng</w> s\n",
       "line 3: 'g</w>' ends a word, so no symbol can follow it"},
      {"#version: 0.2\n" + std::string(100, 'x') + "\n",
       "line 2: expected two symbols separated by one space, got '" + std::string(60, 'x') +
           "...'"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto path = write(dir / fmt::format("bad{}.txt", i), cases[i].text);
    EXPECT_THAT(load_error(path), HasSubstr("merges file '" + path + "' " + cases[i].message))
        << cases[i].text;
  }
  EXPECT_THAT([] { BpeTokenizer::from_merges_text("a b c", "checkpoint 'x' merges"); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("checkpoint 'x' merges line 1:")));
}

TEST(BpeTokenizer, ReadsAndWritesGzipMergesFiles) {
  auto dir = temp_dir();
  std::vector<std::string> corpus = kCorpus;
  corpus.insert(corpus.end(), kRoundTrip.begin(), kRoundTrip.end());
  auto tok = BpeTokenizer::train(corpus, 150);
  auto gz = (dir / "merges.txt.gz").string();
  tok.save(gz);
  std::ifstream in(gz, std::ios::binary);
  EXPECT_TRUE(std::string(std::istreambuf_iterator<char>(in), {}).starts_with("\x1f\x8b"))
      << "a .gz path is written compressed";
  auto loaded = BpeTokenizer::load(gz);
  EXPECT_EQ(loaded.merges(), tok.merges());
  EXPECT_EQ(BpeTokenizer::load(gz, 7).num_merges(), 7u);
  for (const auto& s : kRoundTrip) EXPECT_EQ(loaded.encode(s), tok.encode(s)) << s;
}

TEST(BpeTokenizer, ForVocabSizeTakesVocabSizeMinus514Merges) {
  auto dir = temp_dir();
  auto path = (dir / "merges.txt.gz").string();
  BpeTokenizer::train(kCorpus, 20).save(path);
  auto tok = BpeTokenizer::for_vocab_size(path, 514 + 12);
  EXPECT_EQ(tok.vocab_size(), 526);
  EXPECT_EQ(tok.merges(), kGoldenMerges);
  EXPECT_EQ(BpeTokenizer::for_vocab_size(path, 514).num_merges(), 0u);
  EXPECT_EQ(BpeTokenizer::for_vocab_size(path, 534).num_merges(), 20u);
  EXPECT_THAT([&] { BpeTokenizer::for_vocab_size(path, 535); },
              ::testing::ThrowsMessage<InputError>(
                  HasSubstr("merges file '" + path +
                            "' has 20 merges, fewer than the 21 that vocabulary size 535 needs")));
  EXPECT_THAT([&] { BpeTokenizer::for_vocab_size(path, 513); },
              ::testing::ThrowsMessage<InputError>(
                  HasSubstr("merges file '" + path + "': vocabulary size 513 is outside")));
}

TEST(BpeTokenizer, EncodesSpecialTokenTextAsTheSpecialIds) {
  auto tok = BpeTokenizer::train(kCorpus, 10);
  EXPECT_EQ(tok.encode("<start_of_text>face<end_of_text>"), (Ids{tok.sot(), 514, tok.eot()}));
  EXPECT_EQ(tok.decode(tok.encode("a <END_OF_TEXT> face")), "a face");
  auto no_specials = BpeTokenizer::train({"<start_of_text> <end_of_text>"}, 10);
  EXPECT_EQ(no_specials.num_merges(), 0u) << "special tokens are not training words";
}

TEST(BpeTokenizer, TrainsThousandsOfMergesOnTwentyThousandCaptions) {
  // Captions shaped like the emoji set's: a few words drawn from a vocabulary of made-up names.
  std::mt19937 gen(11);
  std::uniform_int_distribution<int> letter(0, 25), len(2, 10), count(1, 6);
  std::vector<std::string> words(3000);
  for (auto& w : words)
    for (int i = len(gen); i > 0; --i) w += static_cast<char>('a' + letter(gen));
  std::uniform_int_distribution<size_t> pick(0, words.size() - 1);
  std::vector<std::string> captions(20000);
  for (auto& c : captions)
    for (int i = count(gen); i > 0; --i) c += words[pick(gen)] + (i > 1 ? " " : ": 1");
  auto tok = BpeTokenizer::train(captions, 4000);
  EXPECT_EQ(tok.num_merges(), 4000u);
  for (size_t i = 0; i < captions.size(); i += 997)
    EXPECT_EQ(tok.decode(tok.encode(captions[i])), normalised(captions[i]));
}

}  // namespace
}  // namespace lethe::tokenize
