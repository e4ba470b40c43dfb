#pragma once
// Where a config's text comes from: a file, or the name of a config compiled into Lethe
// (configs/NAME.toml: `emoji-fedavg`, `emoji-unlearn-bench`, …). The CLI's bench, the Python module
// and library users resolve names the same way.
#include <string>

namespace lethe::experiment {

struct ConfigSource {
  std::string name;  // the path, or "embedded:NAME"
  std::string toml;  // the config's text
};

// A file at `path_or_name` wins; otherwise the embedded config of that name. InputError naming
// it when it is neither.
ConfigSource config_source(const std::string& path_or_name);

}  // namespace lethe::experiment
