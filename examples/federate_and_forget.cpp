// Lethe from C++: train a small federation, honour a deletion request (client 0) with EASE, read
// the audit, and use the unlearned model. Build it against an installed Lethe (examples/
// CMakeLists.txt, docs/library.md) and run it with an output folder:
//   federate_and_forget /tmp/lethe-example
#include <lethe/lethe.h>

#include <cstdio>

namespace {

// Three clients on the synthetic shapes set: a federation that trains in seconds on a laptop.
constexpr const char* kConfig = R"(
[run]
name = "example"
mode = "federated"
threads = 2
precision = "fp32"
seed = 1
[data]
name = "shapes"
image_size = 16
shapes_train = 160
shapes_test = 32
[model]
preset = "tiny"
[train]
batch_size = 16
num_merges = 50
[eval]
train_units = 32
[fl]
clients = 3
partition = "iid"
min_units_per_client = 4
rounds = 3
local_epochs = 1
history_every = 1
)";

void print_row(const char* model, const lethe::unlearn::ModelAudit& m) {
  std::printf("%-10s forget R@1 %6.2f   retain R@1 %6.2f   test R@1 %6.2f\n", model, m.forget.r1,
              m.retain.mean.r1, m.test.mean.r1);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lethe;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string out = argv[1];
  try {
    // 1. A config (a file would be experiment::load_experiment(path, overrides)); key=value
    //    overrides are checked against the schema like the CLI's.
    const auto cfg = experiment::parse_experiment(kConfig, "example", {"fl.rounds=3"});

    // 2. Federated training into a run folder (config, checkpoints, history, summary.json).
    const auto summary = experiment::run_experiment(cfg, out + "/run");
    std::printf("trained %s: test R@1 %.2f after %d rounds (Lethe %s)\n", cfg.run.name.c_str(),
                summary["eval"]["test"]["r1"].get<double>(), cfg.fl.rounds, kVersion);

    // 3. The deletion request: forget client 0 with EASE; the retrain reference comes with it.
    unlearn::SessionOptions request;
    request.run_dir = out + "/run";
    request.request = "client:0";
    request.methods = {"ease"};
    request.out_dir = out + "/forget-client-0";
    request.report = false;
    const auto audit = std::get<unlearn::Audit>(unlearn::run_unlearning(request));  // a CLIP run's audit
    print_row("original", audit.original.model);
    print_row("retrain", audit.reference.model);
    const auto& ease = audit.method("ease");
    print_row("ease", ease.model);
    std::printf("ease: forget gap %.2f, retain gap %.2f R@1 points to retrain, at %.1f%% of its cost\n",
                ease.gap.forget_r1, ease.gap.retain_r1, 100.0 * ease.cost_ratio);

    // 4. The unlearned model is a checkpoint like any other: load it and embed captions.
    auto unlearned = interop::load_model({.spec = request.out_dir + "/ease.safetensors"});
    auto original = interop::load_model({.spec = request.run_dir});
    const Context ctx(ContextConfig{});
    const std::vector<std::string> captions = {"a red circle", "a blue square"};
    const auto after = interop::embed(unlearned, {.texts = captions}, ctx).text;
    const auto before = interop::embed(original, {.texts = captions}, ctx).text;
    for (size_t i = 0; i < captions.size(); ++i)
      std::printf("'%s': cosine(original, unlearned) = %.3f\n", captions[i].c_str(),
                  (before[i] * after[i]).sum().item<double>());
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
