// A federation served over gRPC on loopback to in-process client threads: the same rounds as
// the simulation bit for bit, and each fault the deployment must survive.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <fstream>
#include <future>
#include <thread>

#include "common/test_util.h"
#include "fl/toy_client.h"
#include "lethe/fl/federation.h"
#include "lethe/fl/simulation.h"
#include "lethe/rpc/client.h"
#include "lethe/rpc/deploy.h"
#include "lethe/rpc/server.h"
#include "lethe/rpc/tensor_stream.h"
#include "lethe/rpc/wire.h"
#include "lethe/v1/federation.grpc.pb.h"

namespace lethe::rpc {
namespace {

using fl::testing::MeanStrategy;
using fl::testing::ToyClient;
using lethe::testing::identical;

constexpr uint64_t kSeed = 5;
const std::string kToken = "0123456789abcdef-token";

fl::FlConfig config(int64_t clients, int64_t rounds) {
  fl::FlConfig c;
  c.clients = clients;
  c.rounds = rounds;
  c.local_epochs = 2;
  c.history_every = 1;
  c.sketch_max_rank = 2;
  return c;
}

std::string tokens_file(const std::filesystem::path& dir) {
  const auto path = (dir / "tokens").string();
  std::ofstream(path) << "# test allow-list\n* " << kToken << "\n";
  return path;
}

TensorMap simulate(const fl::FlConfig& cfg, const std::string& dir, std::vector<int64_t> excluded = {}) {
  ToyClient client;
  MeanStrategy strategy(cfg);
  fl::SimulationTransport transport(client, cfg, kSeed);
  fl::Federation fed(cfg, strategy, transport, cfg.clients, dir, kSeed);
  fed.set_excluded_clients(std::move(excluded));
  fed.start(client.initial());
  fed.run();
  return fed.global();
}

// One client process, played by a thread: joins, serves until STOP or until its ToyClient throws
// (a crash: the session, and with it the heartbeats, end).
struct ClientThread {
  ClientThread(ClientOptions opts, std::function<void(int64_t, int64_t)> before_fit = {}) {
    toy.before_fit = std::move(before_fit);
    thread = std::thread([this, opts] {
      try {
        RemoteSession session(opts);
        session.join();
        answered = session.serve(toy);
      } catch (const std::exception& e) {
        error = e.what();
      }
    });
  }
  ~ClientThread() {
    if (thread.joinable()) thread.join();
  }
  ToyClient toy;
  std::thread thread;
  int64_t answered = -1;
  std::string error;
};

struct Deployment {
  Deployment(const fl::FlConfig& c, const std::filesystem::path& dir, ServerOptions o = {},
             UnlearnCheck unlearn_check = {})
      : cfg(c), strategy(cfg) {
    std::filesystem::create_directories(dir);
    o.listen = "127.0.0.1:0";
    if (o.tokens.empty()) o.tokens = tokens_file(dir);
    if (o.tls.cert.empty()) o.tls.insecure = true;
    o.heartbeat_s = 0.1;
    o.min_clients = o.min_clients > 1 ? o.min_clients : cfg.clients;
    o.join_timeout_s = 60;
    o.stop_grace_s = 2;
    transport = std::make_unique<RpcTransport>(
        o, JoinInfo{"toy", [](int64_t) { return "{}"; }, cfg.clients, kSeed}, std::move(unlearn_check));
    fed = std::make_unique<fl::Federation>(cfg, strategy, *transport, cfg.clients, (dir / "run").string(), kSeed);
  }
  ClientOptions client(int64_t k) const {
    ClientOptions c;
    c.server = "127.0.0.1:" + std::to_string(transport->port());
    c.client = k;
    c.token = kToken;
    c.tls.insecure = true;
    c.connect_timeout_s = 5;
    return c;
  }
  // Starts from the toy model and runs every round; their summaries in order.
  std::vector<fl::RoundSummary> run_all() {
    fed->start(ToyClient().initial());
    std::vector<fl::RoundSummary> rounds;
    fed->run(std::nullopt, [&](const fl::RoundSummary& s) { rounds.push_back(s); });
    return rounds;
  }
  // The federation first, then the transport (STOP to every client).
  void stop() {
    fed.reset();
    transport.reset();
  }
  fl::FlConfig cfg;
  MeanStrategy strategy;
  std::unique_ptr<RpcTransport> transport;
  std::unique_ptr<fl::Federation> fed;
};

TEST(Deployment, RoundsOverGrpcMatchTheSimulationBitForBit) {
  const auto dir = lethe::testing::test_temp_dir("rpc");
  const auto cfg = config(4, 3);
  const auto simulated = simulate(cfg, (dir / "sim").string());

  Deployment d(cfg, dir);
  std::vector<std::unique_ptr<ClientThread>> clients;
  for (int64_t k = 0; k < cfg.clients; ++k) clients.push_back(std::make_unique<ClientThread>(d.client(k)));
  const auto rounds = d.run_all();
  const auto deployed = d.fed->global();
  d.stop();  // STOP to every client
  clients.clear();       // joins the threads

  EXPECT_TRUE(identical(deployed, simulated));
  ASSERT_EQ(rounds.size(), 3u);
  for (const auto& r : rounds) {
    EXPECT_EQ(r.answered, 4);
    EXPECT_EQ(r.failed + r.late, 0);
  }
}

TEST(Deployment, ClientKilledMidRoundIsDroppedAndTheRoundCompletes) {
  const auto dir = lethe::testing::test_temp_dir("rpc");
  Deployment d(config(3, 3), dir);
  std::vector<std::unique_ptr<ClientThread>> clients;
  for (int64_t k = 0; k < 3; ++k)
    clients.push_back(std::make_unique<ClientThread>(d.client(k), [k](int64_t client, int64_t round) {
      if (k == 2 && round == 2) throw std::runtime_error("killed");
    }));
  const auto rounds = d.run_all();
  d.stop();  // STOP to every client
  ASSERT_EQ(rounds.size(), 3u);
  EXPECT_EQ(rounds[0].answered, 3);
  EXPECT_EQ(rounds[1].answered, 2);  // client 2 died in its fit: its heartbeats stopped
  EXPECT_EQ(rounds[1].failed, 1);
  EXPECT_FALSE(rounds[1].skipped);
  EXPECT_EQ(rounds[2].sampled, 2);   // later rounds sample among the connected clients
  EXPECT_EQ(rounds[2].answered, 2);
  clients.clear();
}

TEST(Deployment, StragglerPastTheDeadlineIsDroppedAndServesTheNextRound) {
  const auto dir = lethe::testing::test_temp_dir("rpc");
  ServerOptions o;
  o.deadline_s = 1.5;
  Deployment d(config(3, 2), dir, o);
  std::vector<std::unique_ptr<ClientThread>> clients;
  for (int64_t k = 0; k < 3; ++k)
    clients.push_back(std::make_unique<ClientThread>(d.client(k), [k](int64_t, int64_t round) {
      if (k == 1 && round == 1) std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    }));
  const auto rounds = d.run_all();
  d.stop();  // STOP to every client
  clients.clear();
  ASSERT_EQ(rounds.size(), 2u);
  EXPECT_EQ(rounds[0].answered, 2);
  EXPECT_EQ(rounds[0].late, 1);
  EXPECT_EQ(rounds[1].answered, 3);  // the straggler is still connected and answers in time
}

// The raw protocol: what a broken or hostile client sends gets an error status, the server
// stays up and a correct client is served afterwards.
TEST(Deployment, BadMessagesGetAnErrorStatusAndTheServerStaysUp) {
  const auto dir = lethe::testing::test_temp_dir("rpc");
  Deployment d(config(2, 1), dir);
  auto channel = grpc::CreateChannel(d.client(0).server, grpc::InsecureChannelCredentials());
  auto stub = v1::Federation::NewStub(channel);
  auto join = [&](uint32_t version, int64_t client, const std::string& token, v1::JoinReply* reply) {
    grpc::ClientContext ctx;
    v1::JoinRequest req;
    req.set_protocol_version(version);
    req.set_client_id(client);
    req.set_token(token);
    return stub->Join(&ctx, req, reply);
  };
  v1::JoinReply reply;
  EXPECT_EQ(join(kProtocolVersion + 1, 0, kToken, &reply).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(join(kProtocolVersion, 0, "wrong-token-wrong-token", &reply).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(join(kProtocolVersion, 7, kToken, &reply).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  {  // a session nobody issued
    grpc::ClientContext ctx;
    v1::PollRequest req;
    req.set_session("forged");
    v1::Task task;
    EXPECT_EQ(stub->Poll(&ctx, req, &task).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {  // garbage bytes where a JoinRequest belongs
    grpc::GenericStub generic(channel);
    grpc::ClientContext ctx;
    std::string junk(64, '\xff');
    grpc::Slice slice(junk);
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, "/lethe.v1.Federation/Join", grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) { done.set_value(s); });
    EXPECT_FALSE(done.get_future().get().ok());
  }

  // Client 0 is a hand-driven stub; client 1 a real session.
  ASSERT_TRUE(join(kProtocolVersion, 0, kToken, &reply).ok());
  const std::string session = reply.session();
  ClientThread good(d.client(1));
  std::thread round([&] {
    d.fed->start(ToyClient().initial());
    d.fed->run();
  });
  v1::Task task;
  for (int i = 0; i < 200 && task.kind() != v1::Task::FIT; ++i) {
    grpc::ClientContext ctx;
    v1::PollRequest req;
    req.set_session(session);
    ASSERT_TRUE(stub->Poll(&ctx, req, &task).ok());
  }
  ASSERT_EQ(task.kind(), v1::Task::FIT);
  TensorMap global;
  {
    grpc::ClientContext ctx;
    v1::DownloadRequest req;
    req.set_session(session);
    req.set_task_id(task.task_id());
    auto reader = stub->Download(&ctx, req);
    TensorAssembler a;
    v1::TensorChunk c;
    while (reader->Read(&c)) a.add(c);
    ASSERT_TRUE(reader->Finish().ok());
    global = a.finish();
  }
  auto upload = [&](const std::vector<v1::UploadMessage>& msgs, v1::UploadReply* out) {
    grpc::ClientContext ctx;
    auto writer = stub->Upload(&ctx, out);
    for (const auto& m : msgs)
      if (!writer->Write(m)) break;
    writer->WritesDone();
    return writer->Finish();
  };
  v1::UploadMessage meta;
  meta.mutable_meta()->set_session(session);
  meta.mutable_meta()->set_task_id(task.task_id());
  meta.mutable_meta()->set_num_examples(6);
  auto update_msgs = [&](const TensorMap& update) {
    std::vector<v1::UploadMessage> msgs{meta};
    write_chunks(update, [&](const v1::TensorChunk& c) {
      v1::UploadMessage m;
      *m.mutable_chunk() = c;
      msgs.push_back(m);
      return true;
    });
    return msgs;
  };
  v1::UploadReply ack;
  {  // no meta first
    auto msgs = update_msgs(zeros_like(global));
    msgs.erase(msgs.begin());
    EXPECT_EQ(upload(msgs, &ack).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // wrong shape
    auto bad = zeros_like(global);
    bad["weight"] = torch::zeros({2, 2});
    EXPECT_EQ(upload(update_msgs(bad), &ack).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // damaged bytes
    auto msgs = update_msgs(zeros_like(global));
    (*msgs.back().mutable_chunk()->mutable_data())[0] ^= 1;
    EXPECT_EQ(upload(msgs, &ack).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // an oversized message (over the 4 MiB limit)
    auto msgs = update_msgs(zeros_like(global));
    msgs[1].mutable_chunk()->set_data(std::string(5 << 20, 'x'));
    EXPECT_EQ(upload(msgs, &ack).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  {  // a well-formed update is still accepted: the task stayed open through all of the above
    EXPECT_TRUE(upload(update_msgs(zeros_like(global)), &ack).ok());
    EXPECT_TRUE(ack.accepted());
    EXPECT_EQ(upload(update_msgs(zeros_like(global)), &ack).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);  // and only once
  }
  round.join();
  EXPECT_EQ(d.fed->round(), 1);
  d.fed.reset();
  d.transport.reset();
}

// A hand-driven client speaking the raw protocol (a hostile or broken client process).
struct RawClient {
  RawClient(const std::string& server, int64_t client)
      : stub(v1::Federation::NewStub(grpc::CreateChannel(server, grpc::InsecureChannelCredentials()))) {
    grpc::ClientContext ctx;
    v1::JoinRequest req;
    req.set_protocol_version(kProtocolVersion);
    req.set_client_id(client);
    req.set_token(kToken);
    v1::JoinReply reply;
    EXPECT_TRUE(stub->Join(&ctx, req, &reply).ok());
    session = reply.session();
  }
  v1::Task poll() {
    grpc::ClientContext ctx;
    v1::PollRequest req;
    req.set_session(session);
    v1::Task task;
    EXPECT_TRUE(stub->Poll(&ctx, req, &task).ok());
    return task;
  }
  TensorMap download(uint64_t task_id) {
    grpc::ClientContext ctx;
    v1::DownloadRequest req;
    req.set_session(session);
    req.set_task_id(task_id);
    auto reader = stub->Download(&ctx, req);
    TensorAssembler a;
    v1::TensorChunk c;
    while (reader->Read(&c)) a.add(c);
    EXPECT_TRUE(reader->Finish().ok());
    return a.finish();
  }
  grpc::Status upload(uint64_t task_id, const TensorMap& update, v1::UploadReply* reply) {
    grpc::ClientContext ctx;
    auto writer = stub->Upload(&ctx, reply);
    v1::UploadMessage msg;
    msg.mutable_meta()->set_session(session);
    msg.mutable_meta()->set_task_id(task_id);
    msg.mutable_meta()->set_num_examples(6);
    writer->Write(msg);
    write_chunks(update, [&](const v1::TensorChunk& c) {
      v1::UploadMessage m;
      *m.mutable_chunk() = c;
      return writer->Write(m);
    });
    writer->WritesDone();
    return writer->Finish();
  }
  std::unique_ptr<v1::Federation::Stub> stub;
  std::string session;
};

// The scenario over loopback: honest clients 0-2 and client 3, which answers every FIT
// task with an update of NaN, then (refused) one of +Inf, then (refused) one of 1e30, finite
// and well-formed, accepted on upload and screened by the norm bound. Every round completes,
// the weights stay finite and equal those of the run without client 3.
TEST(Deployment, HostileClientIsRefusedAndEveryRoundCompletes) {
  const auto dir = lethe::testing::test_temp_dir("rpc");
  const auto cfg = config(4, 3);
  const auto without = simulate(cfg, (dir / "sim").string(), {3});
  Deployment d(cfg, dir);
  std::vector<std::unique_ptr<ClientThread>> honest;
  for (int64_t k = 0; k < 3; ++k) honest.push_back(std::make_unique<ClientThread>(d.client(k)));
  std::vector<std::string> refusals;  // what the hostile client was told
  int64_t accepted = 0;
  std::thread hostile([&] {
    RawClient raw(d.client(3).server, 3);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < until) {
      const auto task = raw.poll();
      if (task.kind() == v1::Task::STOP) return;
      if (task.kind() != v1::Task::FIT) continue;
      const auto global = raw.download(task.task_id());
      for (double value : {std::nan(""), std::numeric_limits<double>::infinity(), 1e30}) {
        auto update = zeros_like(global);
        for (auto& [name, t] : update) t.fill_(value);
        v1::UploadReply reply;
        const auto st = raw.upload(task.task_id(), update, &reply);
        if (st.ok()) {
          accepted += reply.accepted();
        } else {
          EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
          refusals.push_back(st.error_message());
        }
      }
    }
  });
  const auto rounds = d.run_all();
  const auto deployed = d.fed->global();
  d.stop();  // STOP to every client
  hostile.join();
  honest.clear();

  ASSERT_EQ(rounds.size(), 3u);
  for (const auto& r : rounds) {
    EXPECT_FALSE(r.skipped);
    EXPECT_EQ(r.answered, 3);
    EXPECT_EQ(r.refused, 3);  // NaN and +Inf on upload, 1e30 by the norm bound
  }
  EXPECT_EQ(accepted, 3);
  ASSERT_EQ(refusals.size(), 6u);
  for (const auto& m : refusals) EXPECT_NE(m.find("tensor 'bias' has 3 non-finite values"), std::string::npos) << m;
  EXPECT_TRUE(describe_nonfinite(deployed).empty());
  EXPECT_TRUE(identical(deployed, without));
}

// A client that dies in the middle of its upload: the broken stream is not a refusal, the task
// stays open until the client's heartbeats are missed, and the round completes without it.
TEST(Deployment, ClientKilledMidUploadIsDroppedAndTheRoundCompletes) {
  const auto dir = lethe::testing::test_temp_dir("rpc");
  Deployment d(config(3, 1), dir);
  std::vector<std::unique_ptr<ClientThread>> honest;
  for (int64_t k = 0; k < 2; ++k) honest.push_back(std::make_unique<ClientThread>(d.client(k)));
  std::thread dying([&] {
    RawClient raw(d.client(2).server, 2);
    v1::Task task;
    for (int i = 0; i < 100 && task.kind() != v1::Task::FIT; ++i) task = raw.poll();
    ASSERT_EQ(task.kind(), v1::Task::FIT);
    const auto update = zeros_like(raw.download(task.task_id()));
    grpc::ClientContext ctx;
    v1::UploadReply reply;
    auto writer = raw.stub->Upload(&ctx, &reply);
    v1::UploadMessage msg;
    msg.mutable_meta()->set_session(raw.session);
    msg.mutable_meta()->set_task_id(task.task_id());
    msg.mutable_meta()->set_num_examples(6);
    writer->Write(msg);
    bool first = true;  // the first of the update's two tensors goes out, then the process "dies"
    write_chunks(update, [&](const v1::TensorChunk& c) {
      if (!first) return false;
      first = false;
      *msg.mutable_chunk() = c;
      return writer->Write(msg);
    });
    ctx.TryCancel();
    EXPECT_FALSE(writer->Finish().ok());
  });
  d.fed->start(ToyClient().initial());
  const auto round = d.fed->run_round();
  dying.join();
  d.fed.reset();
  d.transport.reset();
  honest.clear();
  EXPECT_EQ(round.answered, 2);
  EXPECT_EQ(round.failed, 1);
  EXPECT_EQ(round.refused, 0);
  EXPECT_FALSE(round.skipped);
}

// A client whose local training diverges says so; its task closes as refused at once, and it
// keeps serving later rounds.
TEST(Deployment, ClientWhoseTrainingDivergesReportsItAndKeepsServing) {
  const auto dir = lethe::testing::test_temp_dir("rpc");
  Deployment d(config(3, 2), dir);
  std::vector<std::unique_ptr<ClientThread>> clients;
  for (int64_t k = 0; k < 3; ++k)
    clients.push_back(std::make_unique<ClientThread>(d.client(k), [k](int64_t, int64_t round) {
      if (k == 1 && round == 1) throw NumericalError("training diverged: loss is nan (lower train.lr?)");
    }));
  const auto rounds = d.run_all();
  d.stop();  // STOP to every client
  clients.clear();
  ASSERT_EQ(rounds.size(), 2u);
  EXPECT_EQ(rounds[0].answered, 2);
  EXPECT_EQ(rounds[0].refused, 1);
  EXPECT_EQ(rounds[0].failed + rounds[0].late, 0);
  EXPECT_EQ(rounds[1].answered, 3);
}

// Unlearning requests are checked on receipt: what the run cannot honour is refused at once
// (here no round runs, so a queued request would wait until the call's deadline).
TEST(Deployment, BadUnlearningRequestsAreRefusedOnReceipt) {
  const auto dir = lethe::testing::test_temp_dir("rpc");
  ServerOptions o;
  o.admin_token = "admin-token-0123456789";
  const experiment::ExperimentConfig run_cfg;  // trained from scratch
  Deployment d(config(3, 1), dir, o, [&](const std::string& request, const std::string& method) {
    check_live_request(run_cfg, 3, request, method);
  });
  auto stub = v1::Federation::NewStub(grpc::CreateChannel(d.client(0).server, grpc::InsecureChannelCredentials()));
  auto unlearn = [&](const std::string& request, const std::string& method) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::UnlearnRequest req;
    req.set_admin_token(o.admin_token);
    req.set_request(request);
    req.set_method(method);
    v1::UnlearnReply reply;
    return stub->Unlearn(&ctx, req, &reply);
  };
  const std::vector<std::tuple<std::string, std::string, std::string>> bad = {
      {"client:-1", "ease", "is not a non-negative integer"},
      {"client:3", "ease", "client 3 does not exist (clients 0..2)"},
      {"clinet:1", "ease", "unknown kind 'clinet'"},
      {"samples:1:0.5", "ease", "client:K requests only"},
      {"client:1", "eas", "unknown unlearning method 'eas'"},
      {"client:1", "finetune", "'ease' only"}};
  for (const auto& [request, method, why] : bad) {
    const auto started = std::chrono::steady_clock::now();
    const auto st = unlearn(request, method);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << request << " " << method;
    EXPECT_NE(st.error_message().find(why), std::string::npos) << st.error_message();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  }
}

TEST(Deployment, UnknownTokenIsRefused) {
  const auto dir = lethe::testing::test_temp_dir("rpc");
  Deployment d(config(1, 1), dir);
  auto opts = d.client(0);
  opts.token = "not-on-the-list-at-all";
  RemoteSession session(opts);
  lethe::testing::expect_input_error([&] { session.join(); }, {"refused client 0", "allow-list"});
}

std::filesystem::path make_certs(const std::filesystem::path& dir) {
  const char* src = std::getenv("LETHE_SOURCE");
  if (!src) return {};
  const auto certs = dir / "certs";
  const auto cmd = std::string(src) + "/scripts/make-certs " + certs.string() + " >/dev/null";
  return std::system(cmd.c_str()) == 0 ? certs : std::filesystem::path{};
}

TEST(Deployment, TlsAndMutualTls) {
  const auto dir = lethe::testing::test_temp_dir("rpc");
  const auto certs = make_certs(dir);
  if (certs.empty()) GTEST_SKIP() << "LETHE_SOURCE unset or openssl missing";
  for (bool mutual : {false, true}) {
    ServerOptions o;
    o.tls.cert = (certs / "server.pem").string();
    o.tls.key = (certs / "server.key").string();
    if (mutual) o.tls.client_ca = (certs / "ca.pem").string();
    Deployment d(config(1, 1), dir / (mutual ? "mtls" : "tls"), o);
    auto opts = d.client(0);
    opts.server = "localhost:" + std::to_string(d.transport->port());
    opts.tls.insecure = false;
    opts.connect_timeout_s = 1;
    {  // plain text against a TLS server: never joins
      auto plain = d.client(0);
      plain.connect_timeout_s = 1;
      RemoteSession s(plain);
      EXPECT_THROW(s.join(), Error);
    }
    opts.tls.ca = (certs / "ca.pem").string();
    if (mutual) {  // a client without a certificate is turned away by the handshake
      RemoteSession s(opts);
      EXPECT_THROW(s.join(), Error);
      opts.tls.cert = (certs / "client.pem").string();
      opts.tls.key = (certs / "client.key").string();
    }
    ClientThread client(opts);
    d.fed->start(ToyClient().initial());
    d.fed->run();
    EXPECT_EQ(d.fed->round(), 1);
    d.fed.reset();
    d.transport.reset();
    client.thread.join();
    EXPECT_EQ(client.answered, 1) << client.error;
  }
}

}  // namespace
}  // namespace lethe::rpc
