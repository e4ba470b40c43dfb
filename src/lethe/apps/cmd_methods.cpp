// lethe methods: every registered dataset, partitioner, strategy, unlearning method and
// benchmark suite, one line each.
#include <iostream>

#include "lethe/apps/commands.h"
#include "lethe/bench/suites.h"
#include "lethe/data/partition.h"
#include "lethe/data/registry.h"
#include "lethe/strategies/registry.h"
#include "lethe/unlearn/lm_methods.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::app {

namespace {
template <class R>
void list(const std::string& title, const R& registry) {
  std::cout << title << ":\n";
  size_t w = 0;
  for (const auto* e : registry.entries()) w = std::max(w, e->name.size());
  for (const auto* e : registry.entries())
    std::cout << fmt::format("  {:<{}}  {}\n", e->name, w, e->description);
}
}  // namespace

void add_methods_command(CLI::App& app, Action* action) {
  auto* cmd = app.add_subcommand("methods", "list datasets, partitioners, strategies, unlearning methods, benchmarks");
  cmd->callback([action] {
    *action = [] {
      list("datasets", data::datasets());
      list("partitioners", data::partitioners());
      list("strategies", strategies::strategies());
      list("unlearning methods", unlearn::unlearners());
      list("unlearning methods for the multimodal LM (run.mode = mllm)", unlearn::lm_unlearners());
      list("benchmark suites", bench::suites());
    };
  });
}

}  // namespace lethe::app
