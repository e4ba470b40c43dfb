#include "lethe/apps/run_target.h"

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/run_folder.h"

namespace lethe::app {

RunTarget resolve_run_target(const std::string& config, const std::string& out,
                             const std::string& resume, const std::vector<std::string>& overrides) {
  std::string file = config;
  if (!resume.empty()) {
    LETHE_CHECK(out.empty() || out == resume, "--out and --resume name different folders");
    LETHE_CHECK(file.empty(), "--resume reads the run's own config.toml; drop --config");
    file = RunFolder(resume).config();
    LETHE_CHECK(file_exists(file), "--resume {}: no config.toml there", resume);
  }
  LETHE_CHECK(!file.empty(), "--config is required");
  RunTarget t{experiment::load_experiment(file, overrides), resume, !resume.empty()};
  if (t.out.empty()) t.out = out.empty() ? "runs/" + t.cfg.run.name : out;
  return t;
}

}  // namespace lethe::app
