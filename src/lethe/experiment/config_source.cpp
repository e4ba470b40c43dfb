#include "lethe/experiment/config_source.h"

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/strings.h"
#include "lethe/embedded_configs.h"

namespace lethe::experiment {

ConfigSource config_source(const std::string& path_or_name) {
  if (file_exists(path_or_name)) return {path_or_name, read_file(path_or_name)};
  const auto& embedded = embedded_configs();
  auto it = embedded.find(path_or_name);
  if (it == embedded.end()) {
    std::vector<std::string> names;
    for (const auto& [name, text] : embedded) names.push_back(name);
    throw InputError(fmt::format("config '{}': no such file, and no embedded config of that name (embedded: {})",
                                 path_or_name, join(names, ", ")));
  }
  return {"embedded:" + path_or_name, it->second};
}

}  // namespace lethe::experiment
