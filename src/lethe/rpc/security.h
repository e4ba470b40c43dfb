#pragma once
// Transport security for deployment: TLS files for the server and the clients, and the server's
// per-client token allow-list. Plain text only when `insecure` is set explicitly.
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace lethe::rpc {

struct ServerTls {
  std::string cert, key;  // PEM files: the server's certificate chain and private key
  std::string client_ca;  // PEM file: set → mutual TLS, clients must present a certificate it signed
  bool insecure = false;  // plain text (tests on loopback, trusted networks); never the default
};

struct ClientTls {
  std::string ca;         // PEM file: the CA that signed the server's certificate
  std::string cert, key;  // PEM files: this client's certificate and key (mutual TLS)
  std::string server_name;  // expected name in the server certificate (default: the host dialled)
  bool insecure = false;
};

// InputError naming the flag for a missing file or a half-given pair (cert without key, ...).
std::shared_ptr<grpc::ServerCredentials> server_credentials(const ServerTls& tls);
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const ClientTls& tls);

// The token in a file (surrounding whitespace dropped). InputError naming `flag` for a missing
// or empty file.
std::string read_token_file(const std::string& path, const std::string& flag);

// Compares every byte whatever the first difference, so the time taken does not tell an attacker
// how much of a guessed token is right.
bool same_token(const std::string& given, const std::string& listed);

// The allow-list: lines "CLIENT_ID TOKEN" ('*' as the id admits the token for any client); '#'
// starts a comment. InputError naming the file and line for anything else, or a token shorter
// than 16 characters.
class TokenList {
 public:
  static TokenList load(const std::string& path);
  // Constant-time comparison against the token(s) listed for `client`.
  bool admits(int64_t client, const std::string& token) const;
  size_t size() const { return tokens_.size(); }

 private:
  std::multimap<int64_t, std::string> tokens_;  // client id (−1 = any) → token
};

}  // namespace lethe::rpc
