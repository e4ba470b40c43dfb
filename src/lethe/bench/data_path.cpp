// The data path: how long the emoji training set takes to be ready (decoded once, then read
// back from the image cache) and how fast training batches are assembled from it (one gather
// per batch for images, tokens and units; random shifts by one indexed gather).
#include <iostream>

#include "lethe/bench/machine.h"
#include "lethe/bench/suites.h"
#include "lethe/core/rng.h"
#include "lethe/core/stopwatch.h"
#include "lethe/data/cache.h"
#include "lethe/train/batches.h"

namespace lethe::bench {
namespace {

struct DataBenchOptions {
  std::string config = "emoji-central";  // embedded config whose [data] section is loaded
  int64_t batch = 256, shift = 2, batches = 50;
  template <class V> void visit(V& v) {
    v("config", config, "embedded config whose [data] section is loaded");
    v("batch", batch, "pairs per batch").min(2);
    v("shift", shift, "random translation of the batches in pixels").min(0);
    v("batches", batches, "timed batches").min(1);
  }
};

}  // namespace

nlohmann::json data_suite(const SuiteArgs& args) {
  const auto o = read_suite_options<DataBenchOptions>(args, "data");
  const auto cfg = embedded_experiment(o.config, "data");
  Context ctx{ContextConfig{}};

  // First load: decodes the PNGs unless an earlier run left the cache file.
  const auto before = data::image_cache_stats();
  Stopwatch first_clock;
  auto ds = data::load(cfg.data);
  const double first_s = first_clock.seconds();
  const bool first_decoded = data::image_cache_stats().builds > before.builds;
  // Second load: from the cache.
  Stopwatch cached_clock;
  ds = data::load(cfg.data);
  const double cached_s = cached_clock.seconds();
  const bool cached_hit = data::image_cache_stats().hits > before.hits;

  // Batches over the training pairs (tokens stand in for the tokenizer's output: the gather
  // does not look at their values).
  train::BatchMaker maker(ds, torch::zeros({int64_t(ds.captions.size()), 16}, torch::kLong), o.shift);
  auto rng = make_engine(0, 0, -1, Stream::kShuffle);
  const auto order = train::epoch_batches(ds.train, o.batch, rng);
  size_t next = 0;
  const double batch_s = time_median(
      [&] {
        auto b = maker.make(order[next++ % order.size()], &rng);
        (void)b;
      },
      static_cast<int>(o.batches), 2);

  std::cout << fmt::format(
      "data: {} images ({} training pairs) ready in {:.2f} s from the cache (first load {:.2f} s, "
      "{}); a batch of {} with ±{} px shifts in {:.2f} ms ({:.0f} pairs/s)\n",
      ds.num_images(), ds.train.size(), cached_s, first_s, first_decoded ? "decoded" : "cached",
      o.batch, o.shift, 1e3 * batch_s, double(o.batch) / batch_s);
  return {{"suite", "data"},
          {"machine", machine_info(ctx)},
          {"config", {{"config", o.config}, {"batch", o.batch}, {"shift", o.shift},
                      {"batches", o.batches}, {"image_size", cfg.data.image_size}}},
          {"results",
           {{{"images", ds.num_images()},
             {"train_pairs", ds.train.size()},
             {"first_load_s", first_s},
             {"first_load_decoded", first_decoded},
             {"cached_load_s", cached_s},
             {"cached_load_hit", cached_hit},
             {"batch_ms", 1e3 * batch_s},
             {"pairs_per_s", double(o.batch) / batch_s}}}}};
}

}  // namespace lethe::bench
