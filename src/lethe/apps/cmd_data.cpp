// lethe data info|prepare NAME [key=value ...]
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/apps/table.h"
#include "lethe/core/config.h"
#include "lethe/core/shape.h"
#include "lethe/data/dataset.h"

namespace lethe::app {

namespace {
data::Dataset load_named(const std::string& name, const std::vector<std::string>& overrides) {
  auto doc = config::Document::from_string("", "command line");
  doc.apply_overrides(overrides);
  data::DataConfig cfg;
  cfg.name = name;
  doc.read(cfg);
  doc.finish();
  return data::load(cfg);
}
}  // namespace

void add_data_command(CLI::App& app, Action* action) {
  struct Opts {
    std::string verb, name;
    std::vector<std::string> overrides;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("data", "inspect or prepare (decode and cache) a dataset");
  cmd->add_option("verb", o->verb, "info | prepare")->required()->check(CLI::IsMember({"info", "prepare"}));
  cmd->add_option("name", o->name, "dataset: emoji | fashion-mnist | shapes | karpathy")->required();
  cmd->add_option("overrides", o->overrides, "data options, e.g. image_size=64 limit=100");
  cmd->callback([o, action] {
    *action = [o] {
      auto ds = load_named(o->name, o->overrides);
      std::vector<std::vector<std::string>> rows = {
          {"images", std::to_string(ds.num_images())},
          {"captions", std::to_string(ds.captions.size())},
          {"pairs", std::to_string(ds.num_pairs())},
          {"units", std::to_string(ds.num_units())},
          {"train pairs", std::to_string(ds.train.size())},
          {"test pairs", std::to_string(ds.test.size())},
          {"image tensor", shape_str(ds.images)}};
      for (const auto& [k, col] : ds.labels)
        rows.push_back({"label " + k, std::to_string(col.names.size()) + " categories"});
      std::cout << ds.name << "\n" << render_table({"what", "value"}, rows);
      if (o->verb == "info" && !ds.captions.empty())
        std::cout << "first caption: " << ds.captions.front() << "\n";
    };
  });
}

}  // namespace lethe::app
