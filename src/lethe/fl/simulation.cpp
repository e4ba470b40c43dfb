#include "lethe/fl/simulation.h"

#include <algorithm>
#include <numeric>

#include "lethe/core/error.h"
#include "lethe/core/log.h"
#include "lethe/fl/sampling.h"

namespace lethe::fl {

SimulationTransport::SimulationTransport(Client& client, const FlConfig& cfg, uint64_t seed)
    : client_(client), cfg_(cfg), seed_(seed) {}

std::vector<ClientReport> SimulationTransport::fit(int64_t round, const TensorMap& global,
                                                   const std::vector<FitInstruction>& instructions,
                                                   const LocalRules& local,
                                                   const FitResultFn& on_result) {
  std::vector<size_t> order(instructions.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return instructions[a].client < instructions[b].client;
  });
  std::vector<ClientReport> reports(instructions.size());
  for (size_t i : order) {
    const auto& ins = instructions[i];
    auto& report = reports[i];
    report.client = ins.client;
    const Fault fault = draw_fault(seed_, round, ins.client, cfg_.failure_rate, cfg_.straggler_rate);
    if (fault == Fault::kFailure) {
      report.outcome = Outcome::kFailed;
      continue;
    }
    FitRes res;
    try {
      res = client_.fit(ins.client, FitIns{global, round, seed_, ins.config, local});
    } catch (const NumericalError& e) {
      log::warn("round {}: client {} refused: {}", round, ins.client, e.what());
      report.outcome = Outcome::kRefused;
      report.refusals.push_back(e.what());
      continue;
    }
    if (answer_hook_) answer_hook_(round, ins.client, res);
    report.train_s = res.train_s;
    const double slowdown = fault == Fault::kStraggler ? cfg_.straggler_slowdown : 1.0;
    report.response_s = double(res.steps) * cfg_.sim_step_s * slowdown;
    if (cfg_.deadline_s > 0 && report.response_s > cfg_.deadline_s) {
      report.outcome = Outcome::kLate;
      continue;
    }
    report.outcome = Outcome::kAnswered;
    on_result(ins.client, res);
  }
  return reports;
}

std::vector<std::pair<int64_t, EvaluateRes>> SimulationTransport::evaluate(
    int64_t round, const TensorMap& global, const std::vector<int64_t>& clients) {
  std::vector<std::pair<int64_t, EvaluateRes>> out;
  for (int64_t c : clients) out.emplace_back(c, client_.evaluate(c, EvaluateIns{global, round}));
  return out;
}

}  // namespace lethe::fl
