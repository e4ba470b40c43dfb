#pragma once
// Name → {description, factory} registries, filled by explicit register_builtins() calls
// (no static-initialisation tricks: XGBoost's lesson). An unknown name lists the valid ones.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/core/strings.h"

namespace lethe {

template <class Factory>
class Registry {
 public:
  struct Entry {
    std::string name;
    std::string description;
    Factory factory;
  };

  // `kind` names what is registered ("strategy", "unlearning method") for error messages.
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(std::string name, std::string description, Factory factory) {
    LETHE_ASSERT(!entries_.count(name));
    Entry e{name, std::move(description), std::move(factory)};
    entries_.emplace(std::move(name), std::move(e));
  }

  bool contains(std::string_view name) const { return entries_.count(std::string(name)) > 0; }

  const Entry& get(std::string_view name) const {
    auto it = entries_.find(std::string(name));
    if (it == entries_.end()) {
      auto valid = names();
      throw InputError(fmt::format("unknown {} '{}'{}; valid: {}", kind_, name,
                                   did_you_mean(name, valid), join(valid, ", ")));
    }
    return it->second;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : entries_) out.push_back(k);
    return out;
  }

  std::vector<const Entry*> entries() const {
    std::vector<const Entry*> out;
    for (const auto& [k, v] : entries_) out.push_back(&v);
    return out;
  }

  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  std::map<std::string, Entry> entries_;
};

}  // namespace lethe
