#pragma once
// The client side of a deployed federation: joins a `lethe server`, then serves its tasks with
// an fl::Client — the same object a simulation drives — until the server says STOP. A
// background thread sends heartbeats while local training runs. When the server goes away
// (restart, network) the session keeps trying to join again for connect_timeout_s, then fails.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "lethe/fl/client.h"
#include "lethe/rpc/security.h"

namespace lethe::rpc {

struct ClientOptions {
  std::string server = "127.0.0.1:7878";
  ClientTls tls;
  int64_t client = 0;               // which client of the run this process is
  std::string token;
  double connect_timeout_s = 120.0;  // how long to keep trying to (re)join
};

struct JoinReply {
  std::string config_toml;      // the run's resolved config
  std::string assignment_json;  // what this client trains on
  int64_t num_clients = 0;
};

class RemoteSession {
 public:
  explicit RemoteSession(ClientOptions opts);
  ~RemoteSession();

  // Joins (retrying while the server is unreachable). InputError for a refusal: bad token,
  // unknown client id, other protocol version.
  const JoinReply& join();
  // Serves FIT and EVALUATE tasks with `client` (as client opts.client) until STOP; returns the
  // number of tasks answered. Error if the server stays unreachable or its config changes.
  int64_t serve(fl::Client& client);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// An operator's deletion request to a running `lethe server` (started with --admin-token-file):
// waits until the server has honoured it between two rounds and returns its record. InputError
// for a refusal (token, request, method); Error if the server cannot be reached.
nlohmann::json request_unlearning(const std::string& server, const ClientTls& tls,
                                  const std::string& admin_token, const std::string& request,
                                  const std::string& method);

}  // namespace lethe::rpc
