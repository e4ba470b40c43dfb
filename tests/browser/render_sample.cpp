// render_sample AUDIT_JSON OUT_HTML: writes the report for an audit file (the browser check's
// input). Exit 2 with one line on an input error, as the lethe binary does.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/unlearn/report.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: render_sample AUDIT_JSON OUT_HTML\n");
    return 2;
  }
  try {
    nlohmann::json audit = nlohmann::json::parse(lethe::read_file(argv[1]));
    lethe::unlearn::write_report(argv[2], audit);
  } catch (const nlohmann::json::parse_error& e) {
    std::fprintf(stderr, "render_sample: %s is not valid JSON: %s\n", argv[1], e.what());
    return 2;
  } catch (const lethe::InputError& e) {
    std::fprintf(stderr, "render_sample: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "render_sample: %s\n", e.what());
    return 1;
  }
  return 0;
}
