#pragma once
// Name → {description, factory} registries. Each is a function-local static that its accessor
// fills with the built-in entries when first asked for — `static Registry<F> r(kind, add_builtins)`
// — so a library user needs no registration call before `unlearners().get("ease")`, the fill is
// thread-safe (C++11 statics), and no static registrar object exists for a linker to drop with an
// unreferenced object file (XGBoost's lesson). An unknown name lists the valid ones.
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

  // `kind` names what is registered ("strategy", "unlearning method") for error messages;
  // `builtins`, when given, adds the built-in entries at once.
  explicit Registry(std::string kind, void (*builtins)(Registry&) = nullptr) : kind_(std::move(kind)) {
    if (builtins) builtins(*this);
  }

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
