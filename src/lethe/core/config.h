#pragma once
// Configuration: TOML file + `key=value` overrides → validated config structs.
//
// Each component owns a plain struct with defaults and one `visit` method that lists its
// fields once; reading, writing (the resolved config.toml) and help all walk that list:
//
//   struct TrainConfig {
//     int epochs = 10;
//     double lr = 5e-4;
//     template <class V> void visit(V& v) {
//       v("epochs", epochs, "passes over the training data").min(1);
//       v("lr", lr, "peak learning rate").in(0.0, 1.0);
//     }
//   };
//
// Unknown keys, wrong types and out-of-range values are InputErrors naming the full key.
#include <toml++/toml.h>

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/core/strings.h"

namespace lethe::config {

// Bounds on one field, enforced only while reading (a no-op for writers and describers).
template <class T>
class Check {
 public:
  Check(const T* value, std::string path) : value_(value), path_(std::move(path)) {}

  Check& min(T lo) {
    if constexpr (std::is_arithmetic_v<T>)
      LETHE_CHECK(!value_ || *value_ >= lo, "config key '{}' = {} is out of range: must be >= {}",
                  path_, *value_, lo);
    return *this;
  }
  Check& max(T hi) {
    if constexpr (std::is_arithmetic_v<T>)
      LETHE_CHECK(!value_ || *value_ <= hi, "config key '{}' = {} is out of range: must be <= {}",
                  path_, *value_, hi);
    return *this;
  }
  Check& in(T lo, T hi) {
    if constexpr (std::is_arithmetic_v<T>)
      LETHE_CHECK(!value_ || (*value_ >= lo && *value_ <= hi),
                  "config key '{}' = {} is out of range: must be in [{}, {}]", path_, *value_, lo,
                  hi);
    return *this;
  }
  Check& one_of(std::initializer_list<std::string_view> allowed) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!value_) return *this;
      for (auto a : allowed)
        if (*value_ == a) return *this;
      std::vector<std::string> valid(allowed.begin(), allowed.end());
      throw InputError(fmt::format("config key '{}' = '{}' is not valid{}; valid: {}", path_,
                                   *value_, did_you_mean(*value_, valid), join(valid, ", ")));
    }
    return *this;
  }

 private:
  const T* value_;  // null: not reading, nothing to check
  std::string path_;
};

namespace detail {
std::string node_type_name(const toml::node& n);
[[noreturn]] void type_error(const std::string& path, const toml::node& n, std::string_view want);

template <class T>
T convert(const toml::node& n, const std::string& path) {
  if constexpr (std::is_same_v<T, bool>) {
    if (auto v = n.value_exact<bool>()) return *v;
    type_error(path, n, "a boolean");
  } else if constexpr (std::is_integral_v<T>) {
    if (auto v = n.value_exact<int64_t>()) {
      if constexpr (std::is_unsigned_v<T>)
        LETHE_CHECK(*v >= 0, "config key '{}' = {} must not be negative", path, *v);
      return static_cast<T>(*v);
    }
    type_error(path, n, "an integer");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (auto v = n.value_exact<double>()) return static_cast<T>(*v);
    if (auto v = n.value_exact<int64_t>()) return static_cast<T>(*v);
    type_error(path, n, "a number");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = n.value_exact<std::string>()) return *v;
    type_error(path, n, "a string");
  } else {
    // std::vector<E>
    using E = typename T::value_type;
    const auto* arr = n.as_array();
    if (!arr) type_error(path, n, "an array");
    T out;
    for (size_t i = 0; i < arr->size(); ++i)
      out.push_back(convert<E>(*arr->get(i), fmt::format("{}[{}]", path, i)));
    return out;
  }
}

template <class T>
void insert(toml::table& t, std::string_view key, const T& value) {
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
    t.insert_or_assign(key, value);
  } else if constexpr (std::is_integral_v<T>) {
    t.insert_or_assign(key, static_cast<int64_t>(value));
  } else if constexpr (std::is_floating_point_v<T>) {
    t.insert_or_assign(key, static_cast<double>(value));
  } else {
    toml::array arr;
    for (const auto& e : value) {
      if constexpr (std::is_same_v<typename T::value_type, std::string>) arr.push_back(e);
      else if constexpr (std::is_integral_v<typename T::value_type>) arr.push_back(static_cast<int64_t>(e));
      else arr.push_back(static_cast<double>(e));
    }
    t.insert_or_assign(key, std::move(arr));
  }
}

template <class T>
std::string to_string(const T& v) {
  if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
  else if constexpr (std::is_same_v<T, std::string>) return "\"" + v + "\"";
  else if constexpr (std::is_arithmetic_v<T>) return fmt::format("{}", v);
  else {
    std::vector<std::string> parts;
    for (const auto& e : v) parts.push_back(to_string(e));
    return "[" + join(parts, ", ") + "]";
  }
}

inline std::string join_path(const std::string& prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}
}  // namespace detail

// Reads fields from a TOML table; records which keys it knew and which it consumed.
class Reader {
 public:
  Reader(const toml::table* table, std::string prefix, std::set<std::string>* known)
      : table_(table), prefix_(std::move(prefix)), known_(known) {}

  template <class T>
  Check<T> operator()(std::string_view key, T& value, std::string_view /*help*/) {
    std::string path = detail::join_path(prefix_, key);
    known_->insert(path);
    if (table_) {
      if (const toml::node* n = table_->get(key)) value = detail::convert<T>(*n, path);
    }
    return Check<T>(&value, path);
  }

  template <class S>
  void section(std::string_view key, S& sub) {
    std::string path = detail::join_path(prefix_, key);
    known_->insert(path);
    const toml::table* t = nullptr;
    if (table_) {
      if (const toml::node* n = table_->get(key)) {
        t = n->as_table();
        LETHE_CHECK(t, "config key '{}' must be a table ([{}]), got {}", path, path,
                    detail::node_type_name(*n));
      }
    }
    Reader r(t, path, known_);
    sub.visit(r);
    if constexpr (requires { sub.validate(); }) sub.validate();
  }

 private:
  const toml::table* table_;
  std::string prefix_;
  std::set<std::string>* known_;
};

// Writes fields into a TOML table (the resolved config saved in every run folder).
class Writer {
 public:
  explicit Writer(toml::table* out) : out_(out) {}
  template <class T>
  Check<T> operator()(std::string_view key, T& value, std::string_view) {
    detail::insert(*out_, key, value);
    return Check<T>(nullptr, {});
  }
  template <class S>
  void section(std::string_view key, S& sub) {
    toml::table t;
    Writer w(&t);
    sub.visit(w);
    out_->insert_or_assign(key, std::move(t));
  }

 private:
  toml::table* out_;
};

// Lists fields with their defaults and help (for `lethe ... --help-config`).
struct FieldInfo {
  std::string path, default_value, help;
};
class Describer {
 public:
  explicit Describer(std::vector<FieldInfo>* out, std::string prefix = {})
      : out_(out), prefix_(std::move(prefix)) {}
  template <class T>
  Check<T> operator()(std::string_view key, T& value, std::string_view help) {
    out_->push_back({detail::join_path(prefix_, key), detail::to_string(value), std::string(help)});
    return Check<T>(nullptr, {});
  }
  template <class S>
  void section(std::string_view key, S& sub) {
    Describer d(out_, detail::join_path(prefix_, key));
    sub.visit(d);
  }

 private:
  std::vector<FieldInfo>* out_;
  std::string prefix_;
};

// A parsed config document plus overrides; read structs from it, then finish() to reject
// any key nobody asked for.
class Document {
 public:
  static Document from_file(const std::string& path);
  static Document from_string(std::string_view text, std::string_view name = "config");

  // Each override is "dotted.key=value"; value is parsed as TOML, else taken as a string.
  void apply_overrides(const std::vector<std::string>& overrides);

  // Reads a struct whose visit() lists root-level sections and keys.
  template <class S>
  void read(S& s) {
    Reader r(&table_, {}, &known_);
    s.visit(r);
    if constexpr (requires { s.validate(); }) s.validate();
  }
  // Reads one top-level [name] section into s. A struct whose keys moved into tables lists the
  // old flat prefixes in a static moved_prefixes(); their keys are moved first.
  template <class S>
  void read_section(std::string_view name, S& s) {
    if constexpr (requires { S::moved_prefixes(); }) move_prefixed_keys(name, S::moved_prefixes());
    Reader r(&table_, {}, &known_);
    r.section(name, s);
  }
  // In [section]: every key `<prefix>rest` (not a table) becomes `table.rest` for each
  // (prefix, table), so [unlearn] ease_tau_deg = 70 reads as [unlearn.ease] tau_deg = 70.
  // Both spellings of one key are an InputError naming the two.
  void move_prefixed_keys(std::string_view section,
                          const std::vector<std::pair<std::string_view, std::string_view>>& moves);
  // Throws InputError naming the first key in the document that no read() knew.
  void finish() const;

  const toml::table& table() const { return table_; }
  const std::string& name() const { return name_; }

 private:
  toml::table table_;
  std::string name_;
  std::set<std::string> known_;
};

// The resolved config as TOML text.
template <class S>
std::string to_toml(S& s) {
  toml::table t;
  Writer w(&t);
  s.visit(w);
  std::ostringstream os;
  os << t << "\n";
  return os.str();
}

}  // namespace lethe::config
