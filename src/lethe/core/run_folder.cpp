#include "lethe/core/run_folder.h"

#include <algorithm>
#include <filesystem>

#include "lethe/core/fs.h"

namespace lethe {

bool RunFolder::has_config() const { return file_exists(config()); }
bool RunFolder::finished() const { return file_exists(summary()); }
bool RunFolder::resumable() const { return has_config() && file_exists(latest_round()) && !finished(); }
bool RunFolder::has_history() const { return file_exists(history() + "/index.json"); }
std::vector<std::pair<std::string, std::string>> RunFolder::audits() const {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> out;
  if (!fs::is_directory(unlearn_root())) return out;
  for (const auto& e : fs::directory_iterator(unlearn_root())) {
    const auto audit = e.path() / "audit.json";
    if (e.is_directory() && fs::exists(audit)) out.emplace_back(e.path().filename().string(), audit.string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string RunFolder::state() const {
  if (finished()) return "finished";
  return resumable() ? "interrupted" : "incomplete";
}

bool RunFolder::holds_config(const std::string& toml) const { return has_config() && read_file(config()) == toml; }

}  // namespace lethe
