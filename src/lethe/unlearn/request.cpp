#include "lethe/unlearn/request.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "lethe/core/error.h"
#include "lethe/core/strings.h"

namespace lethe::unlearn {

namespace {
int64_t parse_client(const std::string& s, const std::string& text) {
  int64_t v = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  LETHE_CHECK(ec == std::errc() && p == s.data() + s.size() && v >= 0,
              "request '{}': client '{}' is not a non-negative integer", text, s);
  return v;
}

double parse_fraction(const std::string& s, const std::string& text) {
  double v = 0.0;
  try {
    size_t used = 0;
    v = std::stod(s, &used);
    LETHE_CHECK(used == s.size(), "x");
  } catch (const std::exception&) {
    throw InputError(fmt::format("request '{}': fraction '{}' is not a number", text, s));
  }
  LETHE_CHECK(v > 0.0 && v <= 1.0, "request '{}': fraction {} must be in (0, 1]", text, v);
  return v;
}
}  // namespace

Request parse_request(const std::string& text) {
  auto parts = split(text, ':');
  const std::string kind = parts[0];
  Request r;
  if (kind == "client") {
    LETHE_CHECK(parts.size() == 2, "request '{}' must look like client:K", text);
    r.kind = Request::Kind::kClient;
    r.client = parse_client(parts[1], text);
  } else if (kind == "samples") {
    r.kind = Request::Kind::kSamples;
    if (parts.size() == 2 && starts_with(parts[1], "@")) {
      r.ids_file = parts[1].substr(1);
      LETHE_CHECK(!r.ids_file.empty(), "request '{}': samples:@FILE needs a file name", text);
    } else {
      LETHE_CHECK(parts.size() == 3, "request '{}' must look like samples:K:FRACTION or samples:@FILE",
                  text);
      r.client = parse_client(parts[1], text);
      r.fraction = parse_fraction(parts[2], text);
    }
  } else if (kind == "entities") {
    LETHE_CHECK(parts.size() == 2, "request '{}' must look like entities:FRACTION", text);
    r.kind = Request::Kind::kEntities;
    r.fraction = parse_fraction(parts[1], text);
  } else if (kind == "concept") {
    LETHE_CHECK(parts.size() == 2 && !trim(parts[1]).empty(), "request '{}' must look like concept:WORD",
                text);
    r.kind = Request::Kind::kConcept;
    r.word = trim(parts[1]);
    std::transform(r.word.begin(), r.word.end(), r.word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  } else {
    throw InputError(fmt::format("request '{}': unknown kind '{}'{}; valid: client:K, "
                                 "samples:K:FRACTION, samples:@FILE, concept:WORD, entities:FRACTION",
                                 text, kind, did_you_mean(kind, {"client", "samples", "concept", "entities"})));
  }
  return r;
}

std::string Request::str() const {
  switch (kind) {
    case Kind::kClient: return fmt::format("client:{}", client);
    case Kind::kSamples:
      return ids_file.empty() ? fmt::format("samples:{}:{}", client, fraction) : "samples:@" + ids_file;
    case Kind::kConcept: return "concept:" + word;
    case Kind::kEntities: return fmt::format("entities:{}", fraction);
  }
  return {};
}

std::string Request::slug() const {
  std::string s = str();
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_') c = '-';
  return s;
}

}  // namespace lethe::unlearn
