#include "lethe/rpc/client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "lethe/core/error.h"
#include "lethe/core/log.h"
#include "lethe/fl/screening.h"
#include "lethe/rpc/tensor_stream.h"
#include "lethe/rpc/wire.h"
#include "lethe/v1/federation.grpc.pb.h"

namespace lethe::rpc {

namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<grpc::ClientContext> call_context(double timeout_s) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));
  return ctx;
}

bool unreachable(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

}  // namespace

struct RemoteSession::Impl {
  ClientOptions opts;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Federation::Stub> stub;
  JoinReply joined;
  bool has_joined = false;

  std::mutex mu;
  std::condition_variable cv;
  std::string session;
  double heartbeat_s = 2.0;
  bool lost = false;   // the server no longer knows the session
  bool done = false;
  std::thread beater;

  explicit Impl(ClientOptions o) : opts(std::move(o)) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxMessageBytes);
    args.SetMaxSendMessageSize(kMaxMessageBytes);
    // gRPC's own reconnect backoff grows to 120 s while a server is down: after a few restarts of
    // the server (the kill drill of docs/reliability.md) clients then sat out whole minutes.
    // Capped like the session's own join backoff, a client is back within ~2 s of the server.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
    if (!opts.tls.server_name.empty()) args.SetSslTargetNameOverride(opts.tls.server_name);
    channel = grpc::CreateCustomChannel(opts.server, channel_credentials(opts.tls), args);
    stub = v1::Federation::NewStub(channel);
  }

  ~Impl() {
    {
      std::lock_guard lock(mu);
      done = true;
    }
    cv.notify_all();
    if (beater.joinable()) beater.join();
  }

  void heartbeats() {
    std::unique_lock lock(mu);
    while (!done) {
      cv.wait_for(lock, std::chrono::duration<double>(heartbeat_s));
      if (done) break;
      v1::HeartbeatRequest req;
      req.set_session(session);
      lock.unlock();
      v1::HeartbeatReply reply;
      auto ctx = call_context(heartbeat_s * 2);
      const auto st = stub->Heartbeat(ctx.get(), req, &reply);
      lock.lock();
      if (st.error_code() == grpc::StatusCode::NOT_FOUND) lost = true;
    }
  }

  void join_once_or_wait() {
    const auto give_up = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(opts.connect_timeout_s));
    for (double backoff = 0.1;; backoff = std::min(backoff * 2, 2.0)) {
      v1::JoinRequest req;
      req.set_protocol_version(kProtocolVersion);
      req.set_client_id(opts.client);
      req.set_token(opts.token);
      v1::JoinReply reply;
      auto ctx = call_context(10.0);
      const auto st = stub->Join(ctx.get(), req, &reply);
      if (st.ok()) {
        LETHE_CHECK(reply.protocol_version() == kProtocolVersion,
                    "the server speaks protocol version {}, this client {}", reply.protocol_version(),
                    kProtocolVersion);
        if (has_joined)
          LETHE_ENSURE(reply.config_toml() == joined.config_toml,
                       "the server at {} came back with another run config; restart this client",
                       opts.server);
        joined = {reply.config_toml(), reply.assignment_json(), reply.num_clients()};
        has_joined = true;
        std::lock_guard lock(mu);
        session = reply.session();
        heartbeat_s = reply.heartbeat_s() > 0 ? reply.heartbeat_s() : 2.0;
        lost = false;
        return;
      }
      if (!unreachable(st))
        throw InputError(fmt::format("the server at {} refused client {}: {}", opts.server,
                                     opts.client, st.error_message()));
      LETHE_ENSURE(Clock::now() < give_up, "no server at {} after {} s: {}", opts.server,
                   opts.connect_timeout_s, st.error_message());
      std::this_thread::sleep_for(std::chrono::duration<double>(backoff));
    }
  }

  std::string current_session() {
    std::lock_guard lock(mu);
    return session;
  }

  // Downloads the task's weights; nullopt when the task closed meanwhile.
  std::optional<TensorMap> download(uint64_t task_id) {
    v1::DownloadRequest req;
    req.set_session(current_session());
    req.set_task_id(task_id);
    grpc::ClientContext ctx;
    auto reader = stub->Download(&ctx, req);
    TensorAssembler assembler;
    v1::TensorChunk chunk;
    while (reader->Read(&chunk)) assembler.add(chunk);
    const auto st = reader->Finish();
    if (st.error_code() == grpc::StatusCode::FAILED_PRECONDITION) return std::nullopt;
    LETHE_ENSURE(st.ok() || unreachable(st), "download of task {} failed: {}", task_id, st.error_message());
    if (!st.ok()) return std::nullopt;
    return assembler.finish();
  }

  void upload(uint64_t task_id, const v1::ResultMeta& meta_in, const TensorMap* update) {
    grpc::ClientContext ctx;
    v1::UploadReply reply;
    auto writer = stub->Upload(&ctx, &reply);
    v1::UploadMessage msg;
    *msg.mutable_meta() = meta_in;
    msg.mutable_meta()->set_session(current_session());
    msg.mutable_meta()->set_task_id(task_id);
    bool ok = writer->Write(msg);
    if (ok && update)
      ok = write_chunks(*update, [&](const v1::TensorChunk& c) {
        *msg.mutable_chunk() = c;
        return writer->Write(msg);
      });
    writer->WritesDone();
    const auto st = writer->Finish();
    if (!st.ok()) {
      LETHE_ENSURE(unreachable(st) || st.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
                       st.error_code() == grpc::StatusCode::NOT_FOUND,
                   "the server rejected task {}'s result: {}", task_id, st.error_message());
      log::warn("task {}: result not delivered ({})", task_id, st.error_message());
    } else if (!reply.accepted()) {
      log::warn("task {}: result not counted ({})", task_id, reply.reason());
    }
  }
};

RemoteSession::RemoteSession(ClientOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {}
RemoteSession::~RemoteSession() = default;

const JoinReply& RemoteSession::join() {
  impl_->join_once_or_wait();
  if (!impl_->beater.joinable()) impl_->beater = std::thread([this] { impl_->heartbeats(); });
  log::info("joined {} as client {} of {}", impl_->opts.server, impl_->opts.client, impl_->joined.num_clients);
  return impl_->joined;
}

int64_t RemoteSession::serve(fl::Client& client) {
  auto& s = *impl_;
  LETHE_ASSERT(s.has_joined);
  const int64_t me = s.opts.client;
  int64_t answered = 0;
  for (;;) {
    bool lost;
    {
      std::lock_guard lock(s.mu);
      lost = s.lost;
    }
    v1::PollRequest req;
    req.set_session(s.current_session());
    v1::Task task;
    grpc::Status st;
    if (!lost) {
      auto ctx = call_context(30.0);
      st = s.stub->Poll(ctx.get(), req, &task);
    }
    if (lost || st.error_code() == grpc::StatusCode::NOT_FOUND || unreachable(st)) {
      log::info("lost the server at {}: joining again", s.opts.server);
      s.join_once_or_wait();
      continue;
    }
    LETHE_ENSURE(st.ok(), "polling {} failed: {}", s.opts.server, st.error_message());
    switch (task.kind()) {
      case v1::Task::STOP:
        log::info("the server ended the run; {} task(s) answered", answered);
        return answered;
      case v1::Task::WAIT:
        continue;
      case v1::Task::FIT: {
        auto global = s.download(task.task_id());
        if (!global) continue;
        const auto config = fit_config_from_json(task.fit_config_json());
        const fl::LocalRules no_rules;
        fl::FitRes res;
        std::string failure;
        try {
          res = client.fit(me, fl::FitIns{*global, task.round(), task.seed(), config, no_rules});
          failure = fl::nonfinite_result(res);
        } catch (const NumericalError& e) {
          failure = e.what();
        }
        if (!failure.empty()) {
          // The server refuses such a result anyway: say so at once, so that the round need not
          // wait for this client, and serve the next rounds (θ changes, the next may go well).
          log::warn("round {}: local training failed ({}): reported to the server", task.round(), failure);
          v1::ResultMeta meta;
          meta.set_error(failure);
          s.upload(task.task_id(), meta, nullptr);
          break;
        }
        v1::ResultMeta meta;
        meta.set_num_examples(res.num_examples);
        meta.set_loss(res.loss);
        meta.set_steps(res.steps);
        meta.set_train_s(res.train_s);
        meta.set_metrics_json(res.metrics.dump());
        s.upload(task.task_id(), meta, &res.update);
        log::info("round {}: trained {} steps, loss {:.4f}", task.round(), res.steps, res.loss);
        ++answered;
        break;
      }
      case v1::Task::EVALUATE: {
        auto global = s.download(task.task_id());
        if (!global) continue;
        fl::EvaluateRes res = client.evaluate(me, fl::EvaluateIns{*global, task.round()});
        v1::ResultMeta meta;
        meta.set_num_examples(res.num_examples);
        meta.set_loss(res.loss);
        meta.set_metrics_json(metrics_to_json(res.metrics));
        s.upload(task.task_id(), meta, nullptr);
        ++answered;
        break;
      }
      default:
        throw Error(fmt::format("the server sent an unknown task kind {}", int(task.kind())));
    }
  }
}

nlohmann::json request_unlearning(const std::string& server, const ClientTls& tls,
                                  const std::string& admin_token, const std::string& request,
                                  const std::string& method) {
  grpc::ChannelArguments args;
  if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
  auto stub = v1::Federation::NewStub(grpc::CreateCustomChannel(server, channel_credentials(tls), args));
  v1::UnlearnRequest req;
  req.set_admin_token(admin_token);
  req.set_request(request);
  req.set_method(method);
  v1::UnlearnReply reply;
  grpc::ClientContext ctx;  // no deadline: the request waits for the current round to end
  const auto st = stub->Unlearn(&ctx, req, &reply);
  if (unreachable(st)) throw Error(fmt::format("no server at {}: {}", server, st.error_message()));
  if (!st.ok()) throw InputError(fmt::format("the server at {} refused the request: {}", server, st.error_message()));
  auto record = nlohmann::json::parse(reply.record_json(), nullptr, false);
  LETHE_ENSURE(record.is_object(), "the server at {} answered with a malformed record", server);
  return record;
}

}  // namespace lethe::rpc
