// A federation served over gRPC on loopback to in-process client threads: the same rounds as
// the simulation bit for bit, and each fault the deployment must survive.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

#include "common/test_util.h"
#include "fl/toy_client.h"
#include "lethe/fl/federation.h"
#include "lethe/fl/simulation.h"
#include "lethe/rpc/client.h"
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

TensorMap simulate(const fl::FlConfig& cfg, const std::string& dir) {
  ToyClient client;
  MeanStrategy strategy(cfg);
  fl::SimulationTransport transport(client, cfg, kSeed);
  fl::Federation fed(cfg, strategy, transport, cfg.clients, dir, kSeed);
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
  Deployment(const fl::FlConfig& c, const std::filesystem::path& dir, ServerOptions o = {})
      : cfg(c), strategy(cfg) {
    std::filesystem::create_directories(dir);
    o.listen = "127.0.0.1:0";
    if (o.tokens.empty()) o.tokens = tokens_file(dir);
    if (o.tls.cert.empty()) o.tls.insecure = true;
    o.heartbeat_s = 0.1;
    o.min_clients = o.min_clients > 1 ? o.min_clients : cfg.clients;
    o.join_timeout_s = 60;
    o.stop_grace_s = 2;
    transport = std::make_unique<RpcTransport>(o, JoinInfo{"toy", [](int64_t) { return "{}"; }, cfg.clients, kSeed});
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
  d.fed->start(ToyClient().initial());
  std::vector<fl::RoundSummary> rounds;
  d.fed->run(std::nullopt, [&](const fl::RoundSummary& s) { rounds.push_back(s); });
  const auto deployed = d.fed->global();
  d.fed.reset();
  d.transport.reset();  // STOP to every client
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
  d.fed->start(ToyClient().initial());
  std::vector<fl::RoundSummary> rounds;
  d.fed->run(std::nullopt, [&](const fl::RoundSummary& s) { rounds.push_back(s); });
  d.fed.reset();
  d.transport.reset();
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
  d.fed->start(ToyClient().initial());
  std::vector<fl::RoundSummary> rounds;
  d.fed->run(std::nullopt, [&](const fl::RoundSummary& s) { rounds.push_back(s); });
  d.fed.reset();
  d.transport.reset();
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
