#pragma once
// Files: whole-file read, crash-safe write (temp file in the same folder, fsync, rename), hashes.
#include <cstdint>
#include <string>

namespace lethe {

std::string read_file(const std::string& path);  // InputError if missing/unreadable
void write_file_atomic(const std::string& path, const std::string& bytes);
// Deletes, under `dir` (recursively; none if it does not exist), the temporary files that
// write_file_atomic leaves when its process is killed mid-write ("NAME.tmp.PID" of a process
// that no longer runs). Returns how many. Resuming a run sweeps its folders with it.
int64_t remove_stale_temporaries(const std::string& dir);
bool file_exists(const std::string& path);
void make_dirs(const std::string& path);
std::string sha256_hex(const std::string& bytes);
std::string sha256_file(const std::string& path);

}  // namespace lethe
