#include "lethe/core/run_folder.h"

#include "lethe/core/fs.h"

namespace lethe {

bool RunFolder::has_config() const { return file_exists(config()); }
bool RunFolder::finished() const { return file_exists(summary()); }
bool RunFolder::resumable() const { return has_config() && file_exists(latest_round()) && !finished(); }
bool RunFolder::has_history() const { return file_exists(history() + "/index.json"); }
bool RunFolder::holds_config(const std::string& toml) const { return has_config() && read_file(config()) == toml; }

}  // namespace lethe
