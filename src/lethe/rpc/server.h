#pragma once
// The server side of a deployed federation: an fl::Transport that serves lethe.v1.Federation
// (proto/lethe/v1/federation.proto) to `lethe client` processes. The Federation, strategy,
// history and Forget Lock run unchanged on top of it (ARCHITECTURE.md: only rpc/ sees gRPC).
//
// A client process joins with its client id and token (TokenList), gets the run's config and
// its assignment, and polls. fit() hands each sampled, connected client a FIT task, streams θ^t
// to it on request and waits for the uploads until every task is answered or failed, or the
// round's deadline passes: a client whose heartbeats stop (killed, network gone) fails, one
// still working at the deadline is late (dropped, as a straggler in simulation). Answers reach
// the Federation in ascending client id, so aggregation is as deterministic as in simulation.
// Every malformed call gets a gRPC error status and is logged; the server stays up. An uploaded
// update with a NaN or ±Inf entry is refused like a malformed one (INVALID_ARGUMENT naming the
// tensor; the task stays open) and counted in the client's report; a client that reports its
// training failed (ResultMeta.error) closes its task as refused. An operator holding the admin
// token may send unlearning requests (Unlearn): checked on receipt (UnlearnCheck), they wait
// until the run handles them between two rounds (serve_unlearning).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lethe/fl/transport.h"
#include "lethe/rpc/security.h"

namespace lethe::rpc {

struct ServerOptions {
  std::string listen = "127.0.0.1:7878";  // host:port; port 0 picks a free one (port())
  ServerTls tls;
  std::string tokens;              // allow-list file (security.h)
  double heartbeat_s = 2.0;        // clients beat this often; 5 beats of silence and they are gone
  double deadline_s = 0.0;         // a round waits this long for answers (0 = round_timeout_s)
  double round_timeout_s = 3600.0;
  int64_t min_clients = 1;         // the first round waits until this many clients have joined
  double join_timeout_s = 600.0;   // ... for at most this long
  double stop_grace_s = 5.0;       // at shutdown, how long clients get to hear STOP
  std::string admin_token;         // admits unlearning requests (empty: the server takes none)
};

// Honours one unlearning request ("client:K", method) between rounds; returns its record.
// InputError for a request the run cannot honour.
using UnlearnHandler =
    std::function<nlohmann::json(const std::string& request, const std::string& method)>;

// Checks an unlearning request on receipt, on a gRPC thread (so it must be thread-safe):
// InputError for a request the run can never honour (syntax, unknown client or method, a method
// that cannot run live). Such a request is refused at once with INVALID_ARGUMENT, never queued.
using UnlearnCheck = std::function<void(const std::string& request, const std::string& method)>;

// What a joining client is told.
struct JoinInfo {
  std::string config_toml;                            // the run's resolved config
  std::function<std::string(int64_t)> assignment;    // client id → what it trains on (JSON)
  int64_t num_clients = 0;
  uint64_t seed = 0;                                  // FitIns::seed
};

class RpcTransport final : public fl::Transport {
 public:
  // Starts listening; InputError for an address that cannot be bound or bad TLS/token files.
  RpcTransport(const ServerOptions& opts, JoinInfo info, UnlearnCheck unlearn_check = {});
  ~RpcTransport() override;  // tells connected clients to stop, then shuts the server down

  int port() const;
  int64_t connected() const;

  std::vector<int64_t> available(std::vector<int64_t> population) override;
  std::vector<fl::ClientReport> fit(int64_t round, const TensorMap& global,
                                    const std::vector<fl::FitInstruction>& instructions,
                                    const fl::LocalRules& local,
                                    const fl::FitResultFn& on_result) override;
  // Remote clients receive no gradient terms: a penalty lock becomes the server's projection.
  bool carries_gradient_terms() const override { return false; }
  std::vector<std::pair<int64_t, fl::EvaluateRes>> evaluate(
      int64_t round, const TensorMap& global, const std::vector<int64_t>& clients) override;

  // Runs `handler` on every unlearning request that arrived (Unlearn calls wait for it), on the
  // calling thread: call it between rounds. Returns how many were handled.
  int64_t serve_unlearning(const UnlearnHandler& handler);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lethe::rpc
