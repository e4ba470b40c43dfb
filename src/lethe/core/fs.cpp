#include "lethe/core/fs.h"

#include <fcntl.h>
#include <signal.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "lethe/core/error.h"

namespace lethe {

namespace {
namespace fsys = std::filesystem;

std::string hex(const unsigned char* d, unsigned n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (unsigned i = 0; i < n; ++i) {
    out[2 * i] = kDigits[d[i] >> 4];
    out[2 * i + 1] = kDigits[d[i] & 15];
  }
  return out;
}

using DigestCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestCtx sha256_init() {
  DigestCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  LETHE_ENSURE(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1,
               "OpenSSL cannot initialise SHA-256");
  return ctx;
}

std::string sha256_final(EVP_MD_CTX* ctx) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  LETHE_ENSURE(EVP_DigestFinal_ex(ctx, d, &n) == 1, "OpenSSL SHA-256 failed");
  return hex(d, n);
}

// Makes a completed rename durable: the new directory entry survives a crash.
void fsync_dir(const fsys::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: some file systems do not allow opening directories
  ::fsync(fd);
  ::close(fd);
}
}  // namespace

std::string read_file(const std::string& path) {
  std::error_code ec;
  LETHE_CHECK(!fsys::is_directory(path, ec), "cannot read file '{}': it is a directory", path);
  std::ifstream in(path, std::ios::binary);
  LETHE_CHECK(in.is_open(), "cannot read file '{}': {}", path, std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  LETHE_CHECK(!in.bad(), "cannot read file '{}': read error", path);
  return std::move(ss).str();
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  fsys::path target(path);
  make_dirs(target.parent_path().string());
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  LETHE_CHECK(f, "cannot write file '{}': {}", path, std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = ok && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ok = false;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("cannot write file '{}': {}", path, std::strerror(err)));
  }
  fsync_dir(target.parent_path());
}

int64_t remove_stale_temporaries(const std::string& dir) {
  std::error_code ec;
  if (!fsys::is_directory(dir, ec)) return 0;
  int64_t removed = 0;
  for (const auto& e : fsys::recursive_directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    const auto at = name.rfind(".tmp.");
    if (at == std::string::npos || !e.is_regular_file(ec)) continue;
    const auto digits = name.substr(at + 5);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(digits.c_str(), nullptr, 10);
    if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)) continue;  // alive
    removed += fsys::remove(e.path(), ec) ? 1 : 0;
  }
  return removed;
}

bool file_exists(const std::string& path) {
  std::error_code ec;
  return fsys::exists(path, ec);
}

void make_dirs(const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  fsys::create_directories(path, ec);
  LETHE_CHECK(!ec, "cannot create directory '{}': {}", path, ec.message());
}

std::string sha256_hex(const std::string& bytes) {
  auto ctx = sha256_init();
  LETHE_ENSURE(EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) == 1,
               "OpenSSL SHA-256 failed");
  return sha256_final(ctx.get());
}

std::string sha256_file(const std::string& path) {
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  LETHE_CHECK(in.is_open() && !fsys::is_directory(path, ec), "cannot read file '{}' to hash it",
              path);
  auto ctx = sha256_init();
  std::vector<char> buf(1 << 20);  // 1 MiB chunks: files may be multi-GB checkpoints
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    LETHE_CHECK(!in.bad(), "cannot read file '{}' to hash it: read error", path);
    LETHE_ENSURE(EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount())) == 1,
                 "OpenSSL SHA-256 failed");
  }
  return sha256_final(ctx.get());
}

}  // namespace lethe
