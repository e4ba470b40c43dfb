#include "lethe/rpc/security.h"

#include <grpcpp/security/credentials.h>

#include <charconv>
#include <sstream>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/strings.h"

namespace lethe::rpc {

namespace {

std::string read_pem(const std::string& path, const char* flag) {
  LETHE_CHECK(file_exists(path), "{} '{}': no such file", flag, path);
  std::string pem = read_file(path);
  LETHE_CHECK(pem.find("-----BEGIN") != std::string::npos, "{} '{}' is not a PEM file", flag, path);
  return pem;
}

}  // namespace

std::string read_token_file(const std::string& path, const std::string& flag) {
  LETHE_CHECK(file_exists(path), "{} '{}': no such file", flag, path);
  std::string token = trim(read_file(path));
  LETHE_CHECK(!token.empty(), "{} '{}' is empty", flag, path);
  return token;
}

bool same_token(const std::string& given, const std::string& listed) {
  if (given.size() != listed.size() || listed.empty()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < listed.size(); ++i) diff |= uint8_t(given[i]) ^ uint8_t(listed[i]);
  return diff == 0;
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const ServerTls& tls) {
  if (tls.insecure) {
    LETHE_CHECK(tls.cert.empty() && tls.key.empty() && tls.client_ca.empty(),
                "--insecure and --tls-* flags exclude each other");
    return grpc::InsecureServerCredentials();
  }
  LETHE_CHECK(!tls.cert.empty() && !tls.key.empty(),
              "the server needs --tls-cert and --tls-key (or --insecure for plain text)");
  grpc::SslServerCredentialsOptions opts(
      tls.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  opts.pem_key_cert_pairs.push_back({read_pem(tls.key, "--tls-key"), read_pem(tls.cert, "--tls-cert")});
  if (!tls.client_ca.empty()) opts.pem_root_certs = read_pem(tls.client_ca, "--tls-client-ca");
  return grpc::SslServerCredentials(opts);
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const ClientTls& tls) {
  if (tls.insecure) {
    LETHE_CHECK(tls.ca.empty() && tls.cert.empty() && tls.key.empty(),
                "--insecure and --tls-* flags exclude each other");
    return grpc::InsecureChannelCredentials();
  }
  LETHE_CHECK(!tls.ca.empty(), "the client needs --tls-ca (or --insecure for plain text)");
  LETHE_CHECK(tls.cert.empty() == tls.key.empty(), "--tls-cert and --tls-key go together");
  grpc::SslCredentialsOptions opts;
  opts.pem_root_certs = read_pem(tls.ca, "--tls-ca");
  if (!tls.cert.empty()) {
    opts.pem_private_key = read_pem(tls.key, "--tls-key");
    opts.pem_cert_chain = read_pem(tls.cert, "--tls-cert");
  }
  return grpc::SslCredentials(opts);
}

TokenList TokenList::load(const std::string& path) {
  LETHE_CHECK(file_exists(path), "--tokens '{}': no such file", path);
  std::istringstream in(read_file(path));
  TokenList list;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string id, token, extra;
    if (!(fields >> id)) continue;
    LETHE_CHECK(fields >> token && !(fields >> extra),
                "--tokens '{}' line {}: expected 'CLIENT_ID TOKEN'", path, lineno);
    LETHE_CHECK(token.size() >= 16, "--tokens '{}' line {}: token shorter than 16 characters",
                path, lineno);
    int64_t client = -1;
    if (id != "*") {
      auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), client);
      LETHE_CHECK(ec == std::errc() && end == id.data() + id.size() && client >= 0,
                  "--tokens '{}' line {}: client id '{}' is not '*' or a number >= 0", path, lineno, id);
    }
    list.tokens_.emplace(client, token);
  }
  LETHE_CHECK(!list.tokens_.empty(), "--tokens '{}' lists no token", path);
  return list;
}

bool TokenList::admits(int64_t client, const std::string& token) const {
  bool ok = false;
  for (int64_t id : {client, int64_t{-1}}) {
    auto [lo, hi] = tokens_.equal_range(id);
    for (auto it = lo; it != hi; ++it) ok |= same_token(token, it->second);
  }
  return ok;
}

}  // namespace lethe::rpc
