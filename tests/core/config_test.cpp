#include "lethe/core/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/test_util.h"

namespace lethe::config {
namespace {

using ::testing::HasSubstr;
using lethe::testing::expect_input_error;

struct OptimConfig {
  double lr = 1e-3;
  std::string name = "adamw";
  std::vector<int64_t> milestones = {10, 20};
  template <class V>
  void visit(V& v) {
    v("lr", lr, "peak learning rate").in(0.0, 1.0);
    v("name", name, "optimiser").one_of({"adamw", "sgd"});
    v("milestones", milestones, "epochs where the rate drops");
  }
};

struct TrainConfig {
  int epochs = 10;
  bool amp = false;
  uint64_t seed = 0;
  float momentum = 0.9f;
  std::vector<std::string> tags;
  OptimConfig optim;
  int validated = 0;  // counts validate() calls; not a config field
  template <class V>
  void visit(V& v) {
    v("epochs", epochs, "passes over the data").min(1).max(1000);
    v("amp", amp, "mixed precision");
    v("seed", seed, "master seed");
    v("momentum", momentum, "momentum");
    v("tags", tags, "free-form labels");
    v.section("optim", optim);
  }
  void validate() {
    ++validated;
    LETHE_CHECK(!(amp && epochs > 100), "config: amp needs epochs <= 100, got {}", epochs);
  }
};

struct RootConfig {
  std::string dataset = "fmnist";
  TrainConfig train;
  template <class V>
  void visit(V& v) {
    v("dataset", dataset, "dataset name");
    v.section("train", train);
  }
};

// The InputError message of reading `toml` (with overrides) into a RootConfig and finishing.
std::string error_of(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  try {
    auto doc = Document::from_string(toml, "test.toml");
    doc.apply_overrides(overrides);
    RootConfig c;
    doc.read(c);
    doc.finish();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

RootConfig read(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  auto doc = Document::from_string(toml, "test.toml");
  doc.apply_overrides(overrides);
  RootConfig c;
  doc.read(c);
  doc.finish();
  return c;
}

TEST(Config, DefaultsFromAnEmptyDocument) {
  auto c = read("");
  EXPECT_EQ(c.dataset, "fmnist");
  EXPECT_EQ(c.train.epochs, 10);
  EXPECT_EQ(c.train.optim.milestones, (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(c.train.validated, 1);  // sections are validated even when absent
}

TEST(Config, ReadsNestedSections) {
  auto c = read(R"(
dataset = "emoji"
[train]
epochs = 3
amp = true
seed = 42
momentum = 0.5
tags = ["a", "b"]
[train.optim]
lr = 1          # an integer is accepted for a float field
name = "sgd"
milestones = [1, 2, 3]
)");
  EXPECT_EQ(c.dataset, "emoji");
  EXPECT_EQ(c.train.epochs, 3);
  EXPECT_TRUE(c.train.amp);
  EXPECT_EQ(c.train.seed, 42u);
  EXPECT_FLOAT_EQ(c.train.momentum, 0.5f);
  EXPECT_EQ(c.train.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_DOUBLE_EQ(c.train.optim.lr, 1.0);
  EXPECT_EQ(c.train.optim.name, "sgd");
  EXPECT_EQ(c.train.optim.milestones, (std::vector<int64_t>{1, 2, 3}));
}

TEST(Config, UnknownKeysNameTheKeyWithASuggestion) {
  EXPECT_EQ(error_of("[train]\nepoch = 3\n"),
            "unknown config key 'train.epoch' (did you mean 'train.epochs'?) in test.toml");
  EXPECT_EQ(error_of("[trains]\nepochs = 3\n"),
            "unknown config key 'trains' (did you mean 'train'?) in test.toml");
  EXPECT_EQ(error_of("[train.optim]\nlearning_rate_max = 1\n"),
            "unknown config key 'train.optim.learning_rate_max' in test.toml");
  EXPECT_EQ(error_of("", {"train.optim.nme=sgd"}),
            "unknown config key 'train.optim.nme' (did you mean 'train.optim.name'?) in test.toml");
}

TEST(Config, WrongTypes) {
  EXPECT_EQ(error_of("[train]\nepochs = \"ten\"\n"),
            "config key 'train.epochs' must be an integer, got string");
  EXPECT_EQ(error_of("[train]\nepochs = 2.5\n"),
            "config key 'train.epochs' must be an integer, got floating-point");
  EXPECT_EQ(error_of("[train]\namp = 1\n"),
            "config key 'train.amp' must be a boolean, got integer");
  EXPECT_EQ(error_of("dataset = 3\n"), "config key 'dataset' must be a string, got integer");
  EXPECT_EQ(error_of("[train.optim]\nlr = \"fast\"\n"),
            "config key 'train.optim.lr' must be a number, got string");
  EXPECT_EQ(error_of("[train]\ntags = \"a\"\n"),
            "config key 'train.tags' must be an array, got string");
  EXPECT_EQ(error_of("[train.optim]\nmilestones = [1, \"x\"]\n"),
            "config key 'train.optim.milestones[1]' must be an integer, got string");
  EXPECT_EQ(error_of("train = 3\n"), "config key 'train' must be a table ([train]), got integer");
}

TEST(Config, OutOfRange) {
  EXPECT_EQ(error_of("[train]\nepochs = 0\n"),
            "config key 'train.epochs' = 0 is out of range: must be >= 1");
  EXPECT_EQ(error_of("[train]\nepochs = 5000\n"),
            "config key 'train.epochs' = 5000 is out of range: must be <= 1000");
  EXPECT_EQ(error_of("[train.optim]\nlr = 1.5\n"),
            "config key 'train.optim.lr' = 1.5 is out of range: must be in [0, 1]");
  EXPECT_EQ(error_of("[train]\nseed = -1\n"), "config key 'train.seed' = -1 must not be negative");
}

TEST(Config, OneOfListsTheValidValues) {
  EXPECT_EQ(error_of("[train.optim]\nname = \"adam\"\n"),
            "config key 'train.optim.name' = 'adam' is not valid (did you mean 'adamw'?); valid: "
            "adamw, sgd");
  EXPECT_EQ(error_of("[train.optim]\nname = \"lbfgs\"\n"),
            "config key 'train.optim.name' = 'lbfgs' is not valid; valid: adamw, sgd");
}

TEST(Config, ValidateRunsAfterReading) {
  EXPECT_EQ(error_of("[train]\namp = true\nepochs = 200\n"),
            "config: amp needs epochs <= 100, got 200");
}

TEST(Config, Overrides) {
  auto c = read("[train]\nepochs = 3\n",
                {"train.epochs=7", "train.optim.lr = 0.25", "dataset=emoji", "train.amp=true",
                 "train.tags=[\"x\", \"y\"]", "train.optim.name=\"sgd\""});
  EXPECT_EQ(c.train.epochs, 7);
  EXPECT_DOUBLE_EQ(c.train.optim.lr, 0.25);  // [train.optim] did not exist: created
  EXPECT_EQ(c.dataset, "emoji");             // unquoted: taken as a string
  EXPECT_TRUE(c.train.amp);
  EXPECT_EQ(c.train.tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(c.train.optim.name, "sgd");
  // An override is typed like the file: "three" is a string, so the integer field rejects it.
  EXPECT_EQ(error_of("", {"train.epochs=three"}),
            "config key 'train.epochs' must be an integer, got string");
}

TEST(Config, MalformedOverrides) {
  EXPECT_EQ(error_of("", {"train.epochs"}), "override 'train.epochs' is not of the form key=value");
  EXPECT_EQ(error_of("", {"=3"}), "override '=3' is not of the form key=value");
  EXPECT_EQ(error_of("", {"train..epochs=3"}), "override key 'train..epochs' is malformed");
  EXPECT_EQ(error_of("[train]\nepochs = 3\n", {"train.epochs.x=1"}),
            "override key 'train.epochs.x': 'epochs' is not a table");
}

TEST(Config, ParseErrorsNameFileAndLine) {
  EXPECT_THAT(error_of("dataset = \"emoji\"\n[train\nepochs = 3\n"),
              HasSubstr("config test.toml:2:"));
  EXPECT_THAT(error_of("a = 1\na = 2\n"), HasSubstr("config test.toml:2:"));
}

TEST(Config, FromFile) {
  auto path = (lethe::testing::temp_dir() / "c.toml").string();
  std::ofstream(path) << "[train]\nepochs = 4\n";
  auto doc = Document::from_file(path);
  EXPECT_EQ(doc.name(), path);
  TrainConfig t;
  doc.read_section("train", t);
  doc.finish();
  EXPECT_EQ(t.epochs, 4);
  try {
    Document::from_file(path + ".missing");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "config file '" + path + ".missing' cannot be read");
  }
}

TEST(Config, ReadSectionLeavesOtherSectionsUnknown) {
  auto doc = Document::from_string("[train]\nepochs = 2\n[model]\nwidth = 8\n", "two.toml");
  TrainConfig t;
  doc.read_section("train", t);
  try {
    doc.finish();
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown config key 'model' in two.toml");
  }
}

// A section whose optimiser keys once sat flat in it (optim_lr) and now live in [train.optim].
struct MovedTrainConfig : TrainConfig {
  static std::vector<std::pair<std::string_view, std::string_view>> moved_prefixes() {
    return {{"optim_", "optim"}};
  }
};

TEST(Config, OldFlatKeysReadAsTheirTablesKey) {
  auto read_moved = [](const std::string& toml, const std::vector<std::string>& overrides) {
    auto doc = Document::from_string(toml, "moved.toml");
    doc.apply_overrides(overrides);
    MovedTrainConfig t;
    doc.read_section("train", t);
    doc.finish();
    return t;
  };
  // The old spelling, from the file or an override, lands in the table; the new one as before.
  auto t = read_moved("[train]\noptim_lr = 0.01\nepochs = 3\n", {"train.optim_name=sgd"});
  EXPECT_DOUBLE_EQ(t.optim.lr, 0.01);
  EXPECT_EQ(t.optim.name, "sgd");
  EXPECT_EQ(t.epochs, 3);
  t = read_moved("[train.optim]\nlr = 0.02\n", {"train.optim_name=sgd"});
  EXPECT_DOUBLE_EQ(t.optim.lr, 0.02);
  EXPECT_EQ(t.optim.name, "sgd");
  // Checks name the new key; both spellings of one key, or a misspelt old one, are refused.
  expect_input_error([&] { read_moved("[train]\noptim_lr = 2.0\n", {}); }, {"'train.optim.lr' = 2 is out of range"});
  expect_input_error([&] { read_moved("[train.optim]\nlr = 0.02\n", {"train.optim_lr=0.5"}); },
                     {"'train.optim_lr' is the old name of 'train.optim.lr'", "keep only 'train.optim.lr'"});
  expect_input_error([&] { read_moved("[train]\noptim_rl = 0.1\n", {}); }, {"unknown config key 'train.optim.rl'"});
  expect_input_error([&] { read_moved("[train]\noptim = 1\noptim_lr = 0.1\n", {}); },
                     {"'train.optim' must be a table", "given as 'train.optim_lr'"});
}

TEST(Config, ToTomlRoundTrip) {
  RootConfig c;
  c.dataset = "emoji \"quoted\" ✓\nline";
  c.train.epochs = 42;
  c.train.amp = true;
  c.train.seed = 123456789012345ull;
  c.train.momentum = 0.3f;
  c.train.tags = {"x", "y z"};
  c.train.optim.lr = 0.000123;
  c.train.optim.name = "sgd";
  c.train.optim.milestones = {};
  std::string text = to_toml(c);
  EXPECT_THAT(text, HasSubstr("[train.optim]"));
  auto back = read(text);
  EXPECT_EQ(back.dataset, c.dataset);
  EXPECT_EQ(back.train.epochs, 42);
  EXPECT_TRUE(back.train.amp);
  EXPECT_EQ(back.train.seed, c.train.seed);
  EXPECT_EQ(back.train.momentum, 0.3f);
  EXPECT_EQ(back.train.tags, c.train.tags);
  EXPECT_EQ(back.train.optim.lr, 0.000123);
  EXPECT_EQ(back.train.optim.name, "sgd");
  EXPECT_TRUE(back.train.optim.milestones.empty());
  EXPECT_EQ(to_toml(back), text);  // stable
}

TEST(Config, DescriberListsEveryFieldWithDefaultAndHelp) {
  RootConfig c;
  std::vector<FieldInfo> fields;
  Describer d(&fields);
  c.visit(d);
  ASSERT_EQ(fields.size(), 9u);
  EXPECT_EQ(fields[0].path, "dataset");
  EXPECT_EQ(fields[0].default_value, "\"fmnist\"");
  EXPECT_EQ(fields[1].path, "train.epochs");
  EXPECT_EQ(fields[1].default_value, "10");
  EXPECT_EQ(fields[1].help, "passes over the data");
  EXPECT_EQ(fields[2].default_value, "false");
  EXPECT_EQ(fields[8].path, "train.optim.milestones");
  EXPECT_EQ(fields[8].default_value, "[10, 20]");
}

}  // namespace
}  // namespace lethe::config
