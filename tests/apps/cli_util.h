#pragma once
// Helpers of the CLI tests: run the lethe binary (LETHE_BIN) with its output in files, fresh
// folders, small configs.
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace lethe::testing::cli {

namespace fs = std::filesystem;

struct Result {
  int code = -1;
  std::string err;
};

inline fs::path tmp_dir(const std::string& name) {
  const char* base = std::getenv("LETHE_TEST_TMP");
  fs::path p = fs::path(base ? base : fs::temp_directory_path().string()) / ("cli_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

inline std::string lethe_bin() {
  const char* bin = std::getenv("LETHE_BIN");
  return bin ? bin : "lethe";
}

inline Result run(const std::string& args, const fs::path& dir) {
  std::string cmd = lethe_bin() + " " + args + " >" + (dir / "out.txt").string() + " 2>" +
                    (dir / "err.txt").string();
  int status = std::system(cmd.c_str());
  Result r;
  r.code = WEXITSTATUS(status);
  std::ifstream in(dir / "err.txt");
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

inline int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

inline void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

inline std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A federated run on a few shapes; `extra` appends to the [fl] section.
inline void write_federated_config(const fs::path& p, int rounds, const std::string& extra = "") {
  write(p, "[run]\nname = \"f\"\nmode = \"federated\"\nthreads = 1\n[data]\nname = \"shapes\"\n"
           "image_size = 16\nshapes_train = 240\nshapes_test = 32\n[model]\npreset = \"tiny\"\n"
           "[train]\nbatch_size = 16\nnum_merges = 50\n[eval]\ntrain_units = 32\n"
           "[fl]\nclients = 4\npartition = \"iid\"\nmin_units_per_client = 4\nrounds = " +
               std::to_string(rounds) + "\nlocal_epochs = 2\nhistory_every = 1\n"
               "sketch_max_rank = 4\ncheckpoint_every = 1\n" + extra);
}

}  // namespace lethe::testing::cli
