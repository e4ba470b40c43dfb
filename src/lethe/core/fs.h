#pragma once
// Files: whole-file read, crash-safe write (temp file in the same folder, fsync, rename), hashes.
#include <string>

namespace lethe {

std::string read_file(const std::string& path);  // InputError if missing/unreadable
void write_file_atomic(const std::string& path, const std::string& bytes);
bool file_exists(const std::string& path);
void make_dirs(const std::string& path);
std::string sha256_hex(const std::string& bytes);
std::string sha256_file(const std::string& path);

}  // namespace lethe
