#include "lethe/rpc/server.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/log.h"
#include "lethe/core/strings.h"
#include "lethe/fl/screening.h"
#include "lethe/rpc/tensor_stream.h"
#include "lethe/rpc/wire.h"
#include "lethe/v1/federation.grpc.pb.h"

namespace lethe::rpc {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

std::string random_session_id() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}{:08x}{:08x}", rd(), rd(), rd(), rd());
}

grpc::Status error(grpc::StatusCode code, const std::string& msg) { return {code, msg}; }

}  // namespace

// One round's work for one client.
struct Task {
  uint64_t id = 0;
  v1::Task::Kind kind = v1::Task::FIT;
  int64_t round = 0;
  std::string config_json;
  enum class State { kOpen, kAnswered, kFailed, kRefused } state = State::kOpen;
  Clock::time_point issued;
  double response_s = 0.0;
  std::vector<std::string> refusals;  // why each refused upload of this task was refused
  fl::FitRes fit;
  fl::EvaluateRes eval;
};

struct Session {
  int64_t client = 0;
  Clock::time_point seen;
};

// An Unlearn call waiting for the run to reach a round boundary.
struct PendingUnlearn {
  std::string request, method;
  std::promise<grpc::Status> done;
  std::string record;  // set before done
};

struct RpcTransport::Impl final : public v1::Federation::Service {
  ServerOptions opts;
  JoinInfo info;
  UnlearnCheck unlearn_check;
  TokenList tokens;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Session> sessions;       // session id → who
  std::map<int64_t, std::string> by_client;      // client id → its current session
  std::map<int64_t, Task> tasks;                 // this round's, by client
  std::shared_ptr<const TensorMap> global;       // θ^t while a round is out
  uint64_t next_task = 1;
  bool first_round_done = false;
  bool stopping = false;
  std::set<std::string> told_to_stop;
  std::deque<std::shared_ptr<PendingUnlearn>> unlearn_queue;

  Impl(const ServerOptions& o, JoinInfo i, UnlearnCheck check)
      : opts(o), info(std::move(i)), unlearn_check(std::move(check)), tokens(TokenList::load(o.tokens)) {}

  // --- session bookkeeping (call with mu held) ---
  Session* find_session(const std::string& id) {
    auto it = sessions.find(id);
    if (it == sessions.end()) return nullptr;
    it->second.seen = Clock::now();
    return &it->second;
  }

  // Drops sessions silent for five heartbeats; their open tasks fail.
  void expire_sessions() {
    const double limit = 5.0 * opts.heartbeat_s;
    for (auto it = sessions.begin(); it != sessions.end();) {
      if (seconds_since(it->second.seen) <= limit) {
        ++it;
        continue;
      }
      const int64_t client = it->second.client;
      log::warn("client {} went silent for {:.1f} s: dropped", client, seconds_since(it->second.seen));
      if (auto t = tasks.find(client); t != tasks.end() && t->second.state == Task::State::kOpen)
        t->second.state = Task::State::kFailed;
      if (auto b = by_client.find(client); b != by_client.end() && b->second == it->first)
        by_client.erase(b);
      it = sessions.erase(it);
    }
  }

  grpc::Status unknown_session() {
    return error(grpc::StatusCode::NOT_FOUND, "unknown session: join again");
  }

  // --- the service ---
  grpc::Status Join(grpc::ServerContext* ctx, const v1::JoinRequest* req, v1::JoinReply* reply) override {
    if (req->protocol_version() != kProtocolVersion) {
      log::warn("{}: join with protocol version {} refused (server speaks {})", ctx->peer(),
                req->protocol_version(), kProtocolVersion);
      return error(grpc::StatusCode::FAILED_PRECONDITION,
                   fmt::format("protocol version {} not supported; this server speaks version {}",
                               req->protocol_version(), kProtocolVersion));
    }
    const int64_t client = req->client_id();
    if (client < 0 || client >= info.num_clients) {
      log::warn("{}: join as client {} refused (the run has clients 0..{})", ctx->peer(), client,
                info.num_clients - 1);
      return error(grpc::StatusCode::INVALID_ARGUMENT,
                   fmt::format("client id {} is not in 0..{}", client, info.num_clients - 1));
    }
    if (!tokens.admits(client, req->token())) {
      log::warn("{}: join as client {} refused: token not on the allow-list", ctx->peer(), client);
      return error(grpc::StatusCode::UNAUTHENTICATED, "token not on the server's allow-list");
    }
    std::string assignment;
    try {
      assignment = info.assignment(client);
    } catch (const std::exception& e) {
      return error(grpc::StatusCode::INTERNAL, e.what());
    }
    std::lock_guard lock(mu);
    if (auto old = by_client.find(client); old != by_client.end()) {
      log::info("client {} joined again: its earlier session ends", client);
      sessions.erase(old->second);
      if (auto t = tasks.find(client); t != tasks.end() && t->second.state == Task::State::kOpen)
        t->second.state = Task::State::kFailed;
    }
    const auto id = random_session_id();
    sessions[id] = {client, Clock::now()};
    by_client[client] = id;
    log::info("client {} joined from {} ({} connected)", client, ctx->peer(), by_client.size());
    reply->set_session(id);
    reply->set_protocol_version(kProtocolVersion);
    reply->set_config_toml(info.config_toml);
    reply->set_assignment_json(assignment);
    reply->set_num_clients(info.num_clients);
    reply->set_heartbeat_s(opts.heartbeat_s);
    cv.notify_all();
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* req, v1::HeartbeatReply*) override {
    std::lock_guard lock(mu);
    return find_session(req->session()) ? grpc::Status::OK : unknown_session();
  }

  // Long poll: answers at once with a task or STOP, else waits up to a second for one.
  grpc::Status Poll(grpc::ServerContext* ctx, const v1::PollRequest* req, v1::Task* task) override {
    std::unique_lock lock(mu);
    const auto until = Clock::now() + std::chrono::seconds(1);
    for (;;) {
      Session* s = find_session(req->session());
      if (!s) return unknown_session();
      if (stopping) {
        told_to_stop.insert(req->session());
        cv.notify_all();
        task->set_kind(v1::Task::STOP);
        return grpc::Status::OK;
      }
      if (auto it = tasks.find(s->client); it != tasks.end() && it->second.state == Task::State::kOpen) {
        const Task& t = it->second;
        task->set_kind(t.kind);
        task->set_task_id(t.id);
        task->set_round(t.round);
        task->set_seed(info.seed);
        task->set_fit_config_json(t.config_json);
        return grpc::Status::OK;
      }
      if (Clock::now() >= until || ctx->IsCancelled()) {
        task->set_kind(v1::Task::WAIT);
        return grpc::Status::OK;
      }
      cv.wait_until(lock, until);
    }
  }

  // The open task `task_id` of `session`'s client, or an error status.
  grpc::Status open_task(const std::string& session, uint64_t task_id, Task** out) {
    Session* s = find_session(session);
    if (!s) return unknown_session();
    auto it = tasks.find(s->client);
    if (it == tasks.end() || it->second.id != task_id || it->second.state != Task::State::kOpen)
      return error(grpc::StatusCode::FAILED_PRECONDITION,
                   fmt::format("task {} is not open for client {} (finished, failed or never given)",
                               task_id, s->client));
    *out = &it->second;
    return grpc::Status::OK;
  }

  // Notes a refused upload on its task (counted in the round's report) if the task is still open.
  void note_refusal(const std::string& session, uint64_t task_id, const std::string& why) {
    std::lock_guard lock(mu);
    Task* t = nullptr;
    if (open_task(session, task_id, &t).ok()) t->refusals.push_back(why);
  }

  grpc::Status Download(grpc::ServerContext* ctx, const v1::DownloadRequest* req,
                        grpc::ServerWriter<v1::TensorChunk>* writer) override {
    std::shared_ptr<const TensorMap> weights;
    {
      std::lock_guard lock(mu);
      Task* t = nullptr;
      if (auto st = open_task(req->session(), req->task_id(), &t); !st.ok()) return st;
      weights = global;
    }
    const bool sent = write_chunks(*weights, [&](const v1::TensorChunk& c) { return writer->Write(c); });
    return sent ? grpc::Status::OK : error(grpc::StatusCode::CANCELLED, "the client went away");
  }

  grpc::Status Upload(grpc::ServerContext* ctx, grpc::ServerReader<v1::UploadMessage>* reader,
                      v1::UploadReply* reply) override {
    v1::UploadMessage msg;
    if (!reader->Read(&msg) || !msg.has_meta())
      return error(grpc::StatusCode::INVALID_ARGUMENT, "an upload starts with its result's meta");
    const v1::ResultMeta meta = msg.meta();
    std::shared_ptr<const TensorMap> weights;
    v1::Task::Kind kind;
    int64_t client = -1;
    {
      std::lock_guard lock(mu);
      Task* t = nullptr;
      if (auto st = open_task(meta.session(), meta.task_id(), &t); !st.ok()) return st;
      weights = global;
      kind = t->kind;
      client = sessions.at(meta.session()).client;
    }
    if (!meta.error().empty()) {
      if (reader->Read(&msg))
        return error(grpc::StatusCode::INVALID_ARGUMENT, "a result that reports an error carries no tensors");
      // Capped: a client's words go into the log and the metrics.
      const std::string why = "the client reports: " + printable(meta.error().substr(0, 512));
      log::warn("client {}: task {} refused: {}", client, meta.task_id(), why);
      std::lock_guard lock(mu);
      Task* t = nullptr;
      if (auto st = open_task(meta.session(), meta.task_id(), &t); !st.ok()) return st;
      t->state = Task::State::kRefused;
      t->refusals.push_back(why);
      t->response_s = seconds_since(t->issued);
      reply->set_accepted(false);
      reply->set_reason("recorded as refused: " + why);
      cv.notify_all();
      return grpc::Status::OK;
    }
    fl::FitRes fit;
    fl::EvaluateRes eval;
    try {
      LETHE_CHECK(meta.num_examples() >= 0 && meta.steps() >= 0, "negative example or step count");
      if (kind == v1::Task::FIT) {
        TensorAssembler assembler(weights.get());
        while (reader->Read(&msg)) {
          LETHE_CHECK(msg.has_chunk(), "a second meta in one upload");
          assembler.add(msg.chunk());
        }
        if (ctx->IsCancelled()) {  // the client (or its connection) died mid-upload: not a refusal
          log::warn("client {}: upload for task {} broke off; the task stays open", client, meta.task_id());
          return error(grpc::StatusCode::CANCELLED, "the upload broke off");
        }
        fit.update = assembler.finish();
        fit.num_examples = meta.num_examples();
        fit.loss = meta.loss();
        fit.steps = meta.steps();
        fit.train_s = meta.train_s();
        fit.metrics = nlohmann::json::parse(meta.metrics_json().empty() ? "{}" : meta.metrics_json());
        LETHE_CHECK(fit.metrics.is_object(), "metrics are not a JSON object");
        // Values are checked before they count: a NaN or ±Inf update is refused here, and the
        // task stays open for a correct one (the engine screens norms once the round is in).
        const auto bad = fl::nonfinite_result(fit);
        LETHE_CHECK(bad.empty(), "{}", bad);
      } else {
        LETHE_CHECK(!reader->Read(&msg), "an evaluation result carries no tensors");
        eval.num_examples = meta.num_examples();
        eval.loss = meta.loss();
        eval.metrics = metrics_from_json(meta.metrics_json());
        LETHE_CHECK(std::isfinite(eval.loss), "reported loss is {}", eval.loss);
        for (const auto& [name, v] : eval.metrics)
          LETHE_CHECK(std::isfinite(v), "metric '{}' is {}", printable(name), v);
      }
    } catch (const std::exception& e) {
      const std::string why = printable(e.what());
      log::warn("client {}: upload for task {} refused: {}", client, meta.task_id(), why);
      note_refusal(meta.session(), meta.task_id(), why);
      return error(grpc::StatusCode::INVALID_ARGUMENT, why);
    }
    std::lock_guard lock(mu);
    Task* t = nullptr;
    if (auto st = open_task(meta.session(), meta.task_id(), &t); !st.ok()) {
      reply->set_accepted(false);
      reply->set_reason(st.error_message());
      return grpc::Status::OK;
    }
    t->fit = std::move(fit);
    t->eval = std::move(eval);
    t->state = Task::State::kAnswered;
    t->response_s = seconds_since(t->issued);
    reply->set_accepted(true);
    cv.notify_all();
    return grpc::Status::OK;
  }

  grpc::Status Unlearn(grpc::ServerContext* ctx, const v1::UnlearnRequest* req, v1::UnlearnReply* reply) override {
    if (opts.admin_token.empty())
      return error(grpc::StatusCode::PERMISSION_DENIED,
                   "this server takes no unlearning requests (start it with --admin-token-file)");
    if (!same_token(req->admin_token(), opts.admin_token)) {
      log::warn("{}: unlearning request refused: wrong admin token", ctx->peer());
      return error(grpc::StatusCode::UNAUTHENTICATED, "wrong admin token");
    }
    // Validated on receipt: a request the run cannot honour is refused now, never queued.
    if (unlearn_check) {
      try {
        unlearn_check(req->request(), req->method());
      } catch (const InputError& e) {
        log::warn("{}: unlearning request '{}' with '{}' refused: {}", ctx->peer(), req->request(),
                  req->method(), e.what());
        return error(grpc::StatusCode::INVALID_ARGUMENT, printable(e.what()));
      }
    }
    auto pending = std::make_shared<PendingUnlearn>();
    pending->request = req->request();
    pending->method = req->method();
    auto done = pending->done.get_future();
    {
      std::lock_guard lock(mu);
      if (stopping) return error(grpc::StatusCode::UNAVAILABLE, "the run is ending");
      unlearn_queue.push_back(pending);
    }
    log::info("unlearning request '{}' with '{}' from {}: honoured after the current round",
              req->request(), req->method(), ctx->peer());
    const auto status = done.get();
    if (status.ok()) reply->set_record_json(pending->record);
    return status;
  }

  // --- the round side ---
  // Issues one task per client (failed at once when the client is not connected) and waits for
  // all of them until the deadline; open tasks then count as late.
  void run_tasks(int64_t round, v1::Task::Kind kind, const TensorMap& weights,
                 const std::vector<std::pair<int64_t, std::string>>& clients) {
    std::unique_lock lock(mu);
    tasks.clear();
    global = std::make_shared<const TensorMap>(weights);
    const auto now = Clock::now();
    for (const auto& [client, config] : clients) {
      Task t;
      t.id = next_task++;
      t.kind = kind;
      t.round = round;
      t.config_json = config;
      t.issued = now;
      if (!by_client.count(client)) t.state = Task::State::kFailed;
      tasks.emplace(client, std::move(t));
    }
    cv.notify_all();
    const double wait_s = opts.deadline_s > 0 ? opts.deadline_s : opts.round_timeout_s;
    const auto deadline = now + seconds(wait_s);
    auto all_done = [&] {
      return std::none_of(tasks.begin(), tasks.end(),
                          [](const auto& kv) { return kv.second.state == Task::State::kOpen; });
    };
    while (!all_done() && Clock::now() < deadline) {
      cv.wait_for(lock, std::chrono::milliseconds(200));
      expire_sessions();
    }
  }

  // Takes this round's tasks out (the transport's answer) and closes the round.
  std::map<int64_t, Task> close_round() {
    std::lock_guard lock(mu);
    global.reset();
    auto out = std::move(tasks);
    tasks.clear();
    return out;
  }
};

RpcTransport::RpcTransport(const ServerOptions& opts, JoinInfo info, UnlearnCheck unlearn_check)
    : impl_(std::make_unique<Impl>(opts, std::move(info), std::move(unlearn_check))) {
  LETHE_CHECK(opts.heartbeat_s > 0 && opts.round_timeout_s > 0 && opts.deadline_s >= 0,
              "heartbeat, deadline and round timeout must be positive");
  grpc::ServerBuilder builder;
  builder.AddListeningPort(opts.listen, server_credentials(opts.tls), &impl_->port);
  builder.RegisterService(impl_.get());
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  impl_->server = builder.BuildAndStart();
  LETHE_CHECK(impl_->server && impl_->port > 0, "cannot listen on '{}' (address in use or invalid)",
              opts.listen);
  log::info("serving the federation on port {} ({}; {} token(s) on the allow-list)", impl_->port,
            opts.tls.insecure ? "plain text" : (opts.tls.client_ca.empty() ? "TLS" : "mutual TLS"),
            impl_->tokens.size());
}

RpcTransport::~RpcTransport() {
  {
    std::unique_lock lock(impl_->mu);
    impl_->stopping = true;
    for (auto& p : impl_->unlearn_queue)
      p->done.set_value(error(grpc::StatusCode::UNAVAILABLE, "the run ended before the request was honoured"));
    impl_->unlearn_queue.clear();
    impl_->tasks.clear();
    impl_->cv.notify_all();
    // Give every connected client a chance to hear STOP at its next poll.
    impl_->cv.wait_for(lock, seconds(impl_->opts.stop_grace_s), [&] {
      return std::all_of(impl_->sessions.begin(), impl_->sessions.end(),
                         [&](const auto& kv) { return impl_->told_to_stop.count(kv.first) > 0; });
    });
  }
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

int RpcTransport::port() const { return impl_->port; }

int64_t RpcTransport::connected() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int64_t>(impl_->by_client.size());
}

std::vector<int64_t> RpcTransport::available(std::vector<int64_t> population) {
  std::unique_lock lock(impl_->mu);
  auto& s = *impl_;
  if (!s.first_round_done) {
    const int64_t want = std::min<int64_t>(s.opts.min_clients, static_cast<int64_t>(population.size()));
    log::info("waiting for {} client(s) to join ({} connected)", want, s.by_client.size());
    const bool ok = s.cv.wait_for(lock, seconds(s.opts.join_timeout_s), [&] {
      s.expire_sessions();
      return static_cast<int64_t>(s.by_client.size()) >= want;
    });
    LETHE_ENSURE(ok, "only {} of the {} clients needed had joined after {} s", s.by_client.size(),
                 want, s.opts.join_timeout_s);
    s.first_round_done = true;
  }
  s.expire_sessions();
  std::erase_if(population, [&](int64_t c) { return !s.by_client.count(c); });
  return population;
}

std::vector<fl::ClientReport> RpcTransport::fit(int64_t round, const TensorMap& global,
                                                const std::vector<fl::FitInstruction>& instructions,
                                                const fl::LocalRules& /*local*/,
                                                const fl::FitResultFn& on_result) {
  // The local rules (the Forget Lock) are the clients' own business here: the Federation
  // applies the lock's projection to every incoming update, which is what the server can enforce.
  std::vector<std::pair<int64_t, std::string>> clients;
  for (const auto& ins : instructions) clients.emplace_back(ins.client, fit_config_to_json(ins.config));
  impl_->run_tasks(round, v1::Task::FIT, global, clients);
  auto tasks = impl_->close_round();
  std::vector<fl::ClientReport> reports;
  for (const auto& ins : instructions) {
    const Task& t = tasks.at(ins.client);
    fl::ClientReport r;
    r.client = ins.client;
    r.outcome = t.state == Task::State::kAnswered ? fl::Outcome::kAnswered
                : t.state == Task::State::kFailed  ? fl::Outcome::kFailed
                : t.state == Task::State::kRefused ? fl::Outcome::kRefused
                                                   : fl::Outcome::kLate;
    r.response_s = t.response_s;
    r.train_s = t.fit.train_s;
    r.refusals = t.refusals;
    if (r.outcome == fl::Outcome::kFailed || r.outcome == fl::Outcome::kLate)
      log::warn("round {}: client {} {}", round, ins.client,
                r.outcome == fl::Outcome::kFailed ? "failed (not connected or gone)" : "missed the deadline");
    reports.push_back(r);
  }
  for (auto& [client, t] : tasks)  // std::map: ascending client id
    if (t.state == Task::State::kAnswered) on_result(client, t.fit);
  return reports;
}

int64_t RpcTransport::serve_unlearning(const UnlearnHandler& handler) {
  int64_t handled = 0;
  for (;;) {
    std::shared_ptr<PendingUnlearn> p;
    {
      std::lock_guard lock(impl_->mu);
      if (impl_->unlearn_queue.empty()) return handled;
      p = impl_->unlearn_queue.front();
      impl_->unlearn_queue.pop_front();
    }
    grpc::Status status;
    try {
      p->record = handler(p->request, p->method).dump();
    } catch (const InputError& e) {
      log::warn("unlearning request '{}' refused: {}", p->request, e.what());
      status = error(grpc::StatusCode::INVALID_ARGUMENT, e.what());
    } catch (const std::exception& e) {
      log::warn("unlearning request '{}' failed: {}", p->request, e.what());
      status = error(grpc::StatusCode::INTERNAL, e.what());
    }
    p->done.set_value(status);
    ++handled;
  }
}

std::vector<std::pair<int64_t, fl::EvaluateRes>> RpcTransport::evaluate(
    int64_t round, const TensorMap& global, const std::vector<int64_t>& clients) {
  std::vector<std::pair<int64_t, std::string>> work;
  for (int64_t c : clients) work.emplace_back(c, "{}");
  impl_->run_tasks(round, v1::Task::EVALUATE, global, work);
  std::vector<std::pair<int64_t, fl::EvaluateRes>> out;
  for (auto& [client, t] : impl_->close_round())
    if (t.state == Task::State::kAnswered) out.emplace_back(client, std::move(t.eval));
  return out;
}

}  // namespace lethe::rpc
