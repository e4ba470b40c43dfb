#include "lethe/core/config.h"

#include <fstream>
#include <sstream>

namespace lethe::config {
namespace detail {

std::string node_type_name(const toml::node& n) {
  std::ostringstream os;
  os << n.type();
  return os.str();
}

void type_error(const std::string& path, const toml::node& n, std::string_view want) {
  throw InputError(
      fmt::format("config key '{}' must be {}, got {}", path, want, node_type_name(n)));
}

}  // namespace detail

namespace {
toml::table parse(std::string_view text, std::string_view name) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw InputError(fmt::format("config {}:{}:{}: {}", name, b.line, b.column, e.description()));
  }
}

void collect_leaves(const toml::table& t, const std::string& prefix,
                    std::vector<std::string>* out) {
  for (const auto& [k, v] : t) {
    std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    out->push_back(path);
    if (const auto* sub = v.as_table()) collect_leaves(*sub, path, out);
  }
}
}  // namespace

Document Document::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LETHE_CHECK(in.good(), "config file '{}' cannot be read", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return from_string(ss.str(), path);
}

Document Document::from_string(std::string_view text, std::string_view name) {
  Document d;
  d.table_ = parse(text, name);
  d.name_ = std::string(name);
  return d;
}

void Document::apply_overrides(const std::vector<std::string>& overrides) {
  for (const auto& kv : overrides) {
    auto eq = kv.find('=');
    LETHE_CHECK(eq != std::string::npos && eq > 0, "override '{}' is not of the form key=value",
                kv);
    std::string key = trim(kv.substr(0, eq));
    std::string value = trim(kv.substr(eq + 1));
    auto parts = split(key, '.');
    toml::table* t = &table_;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      LETHE_CHECK(!parts[i].empty(), "override key '{}' is malformed", key);
      toml::node* n = t->get(parts[i]);
      if (!n) {
        t->insert(parts[i], toml::table{});
        n = t->get(parts[i]);
      }
      LETHE_CHECK(n->is_table(), "override key '{}': '{}' is not a table", key, parts[i]);
      t = n->as_table();
    }
    // Parse the value as TOML; fall back to a plain string (so name=emoji works unquoted).
    toml::table parsed;
    try {
      parsed = toml::parse("v = " + value);
    } catch (const toml::parse_error&) {
      parsed.insert("v", value);
    }
    t->insert_or_assign(parts.back(), *parsed.get("v"));
  }
}

void Document::move_prefixed_keys(std::string_view section,
                                  const std::vector<std::pair<std::string_view, std::string_view>>& moves) {
  auto* t = table_.get_as<toml::table>(section);
  if (!t) return;  // absent (or not a table: the read names that)
  for (const auto& [prefix, table] : moves) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : *t)
      if (k.str().size() > prefix.size() && k.str().starts_with(prefix) && !v.is_table()) keys.emplace_back(k.str());
    for (const auto& old_key : keys) {
      const std::string rest = old_key.substr(prefix.size());
      const std::string old_path = fmt::format("{}.{}", section, old_key);
      const std::string new_path = fmt::format("{}.{}.{}", section, table, rest);
      toml::node* sub = t->get(table);
      if (!sub) {
        t->insert(table, toml::table{});
        sub = t->get(table);
      }
      LETHE_CHECK(sub->is_table(), "config key '{}.{}' must be a table ([{}.{}]) to hold '{}' (given as '{}')",
                  section, table, section, table, new_path, old_path);
      LETHE_CHECK(!sub->as_table()->contains(rest),
                  "config key '{}' is the old name of '{}' and both are given: keep only '{}'", old_path,
                  new_path, new_path);
      sub->as_table()->insert(rest, *t->get(old_key));
      t->erase(old_key);
    }
  }
}

void Document::finish() const {
  std::vector<std::string> present;
  collect_leaves(table_, {}, &present);
  std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& p : present) {
    if (!known_.count(p))
      throw InputError(fmt::format("unknown config key '{}'{} in {}", p, did_you_mean(p, known),
                                   name_));
  }
}

}  // namespace lethe::config
