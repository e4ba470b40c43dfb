#include "lethe/data/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "lethe/core/error.h"

namespace lethe::data {
namespace {

using ::testing::HasSubstr;

// Two units: unit 0 = caption "cat" with two images (google, apple), unit 1 = "dog" (google).
Dataset tiny() {
  Dataset ds;
  ds.name = "tiny";
  ds.images = torch::zeros({3, 3, 8, 8}, torch::kUInt8);
  ds.image_ids = {"google/cat", "apple/cat", "google/dog"};
  ds.captions = {"cat", "dog"};
  ds.caption_tags = {{"animal"}, {}};
  ds.pairs = {{0, 0, 0}, {1, 0, 0}, {2, 1, 1}};
  for (const char* s : {"google", "apple", "google"}) ds.labels["source"].append(s);
  for (const char* s : {"cats", "cats", "dogs"}) ds.labels["kind"].append(s);
  ds.train = {0, 2};
  ds.test = {1};
  return ds;
}

TEST(Dataset, CountsAndLabels) {
  auto ds = tiny();
  EXPECT_NO_THROW(ds.check());
  EXPECT_EQ(ds.num_images(), 3);
  EXPECT_EQ(ds.num_pairs(), 3);
  EXPECT_EQ(ds.num_units(), 2);
  EXPECT_EQ(ds.label("source", 1), "apple");
  EXPECT_EQ(ds.label("kind", 2), "dogs");
  EXPECT_EQ(ds.label_column("source").names, std::vector<std::string>({"google", "apple"}));
  EXPECT_EQ(ds.label_column("source").of_pair, std::vector<int32_t>({0, 1, 0}));
}

TEST(Dataset, UnknownLabelListsTheValidOnes) {
  auto ds = tiny();
  try {
    ds.label("sourse", 0);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("dataset 'tiny' has no label 'sourse' (did you mean 'source'?)"));
    EXPECT_THAT(e.what(), HasSubstr("valid: kind, source"));
  }
  try {
    ds.label("kind", 3);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("pair 3 is out of range: dataset 'tiny' has 3 pairs"));
  }
}

TEST(Dataset, CheckFindsInconsistencies) {
  auto expect_error = [](Dataset ds, const std::string& what) {
    try {
      ds.check();
      ADD_FAILURE() << "no error for " << what;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(what));
    }
  };
  auto ds = tiny();
  ds.pairs[2].unit = 2;
  expect_error(ds, "dataset 'tiny': unit 1 has no pairs (units must be dense)");
  ds = tiny();
  ds.pairs[0].image = 3;
  expect_error(ds, "dataset 'tiny': pair 0 = (image 3, caption 0, unit 0) is out of range");
  ds = tiny();
  ds.image_ids.pop_back();
  expect_error(ds, "dataset 'tiny': 2 image ids for 3 images");
  ds = tiny();
  ds.caption_tags.pop_back();
  expect_error(ds, "dataset 'tiny': 1 tag lists for 2 captions");
  ds = tiny();
  ds.labels["kind"].of_pair.pop_back();
  expect_error(ds, "dataset 'tiny': label 'kind' has 2 entries for 3 pairs");
  ds = tiny();
  ds.labels["kind"].of_pair[0] = 5;
  expect_error(ds, "dataset 'tiny': label 'kind' category 5 is out of range");
  ds = tiny();
  ds.labels.erase("source");
  expect_error(ds, "dataset 'tiny' has no 'source' label");
  ds = tiny();
  ds.test.push_back(7);
  expect_error(ds, "dataset 'tiny': split pair 7 is out of range");
  ds = tiny();
  ds.images = torch::zeros({3, 1, 8, 8}, torch::kUInt8);
  expect_error(ds, "dataset 'tiny': images must be (N,3,S,S) uint8, got 3x1x8x8 Byte");
}

TEST(DataRoot, ConfigThenEnvironmentThenHome) {
  const char* old_data = std::getenv("LETHE_DATA");
  std::string saved = old_data ? old_data : "";
  DataConfig cfg;
  ::setenv("LETHE_DATA", "/env/data", 1);
  EXPECT_EQ(data_root(cfg), "/env/data");
  cfg.root = "/cfg/data";
  EXPECT_EQ(data_root(cfg), "/cfg/data");
  cfg.root = "";
  ::unsetenv("LETHE_DATA");
  EXPECT_EQ(data_root(cfg), std::string(std::getenv("HOME")) + "/.cache/lethe");
  if (old_data) ::setenv("LETHE_DATA", saved.c_str(), 1);
}

}  // namespace
}  // namespace lethe::data
