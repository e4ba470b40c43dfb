#pragma once
// How the server reaches clients: in process (simulation.h) or over gRPC (rpc/). The engine
// talks only to this interface.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "lethe/fl/client.h"

namespace lethe::fl {

// kRefused: the client's result came but could not count and no valid one followed (a local
// training that diverged); the server engine may still refuse an answered result (screening.h).
enum class Outcome { kAnswered, kFailed, kLate, kRefused };

struct ClientReport {
  int64_t client = 0;
  Outcome outcome = Outcome::kAnswered;
  double response_s = 0.0;  // (simulated) response time; 0 for failures
  double train_s = 0.0;     // its local optimisation seconds (FitRes::train_s), late ones included
  // Why each result of this client the transport refused this round was refused (a deployed
  // client's malformed or non-finite uploads, a diverged training), in order.
  std::vector<std::string> refusals;
};

// Receives one answer; may consume res.update (move from it).
using FitResultFn = std::function<void(int64_t client, FitRes& res)>;

class Transport {
 public:
  virtual ~Transport() = default;
  // The clients of `population` that can be sampled now: all of them in simulation; the
  // connected ones in deployment (sampling.h's keys make the choice among them the simulation's
  // when all are there).
  virtual std::vector<int64_t> available(std::vector<int64_t> population) { return population; }
  // Whether the clients it reaches add LocalRules::gradient_terms to their local steps: true in
  // simulation; false over gRPC, whose clients receive no such terms (a penalty lock then falls
  // back to the server's projection, federation.h).
  virtual bool carries_gradient_terms() const { return true; }
  // Sends θ^t and each instruction to its client and hands every answer that arrives in time
  // to on_result, in ascending client id (which makes aggregation order, and so the result,
  // deterministic). Returns what happened to each instructed client, in instruction order.
  virtual std::vector<ClientReport> fit(int64_t round, const TensorMap& global,
                                        const std::vector<FitInstruction>& instructions,
                                        const LocalRules& local,
                                        const FitResultFn& on_result) = 0;
  virtual std::vector<std::pair<int64_t, EvaluateRes>> evaluate(
      int64_t round, const TensorMap& global, const std::vector<int64_t>& clients) = 0;
  // The state of the clients this process holds (Client::state), saved with the server state:
  // in simulation every virtual client's; remote clients keep their own (empty here).
  virtual StateBlob client_state() const { return {}; }
  virtual void load_client_state(const StateBlob& /*state*/, const std::string& /*source*/) {}
};

}  // namespace lethe::fl
