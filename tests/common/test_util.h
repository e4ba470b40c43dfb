#pragma once
// Helpers every module's tests share: per-test temp folders, InputError expectations and
// bit-identical tensor maps.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string>

#include "lethe/core/error.h"
#include "lethe/core/tensor_map.h"

namespace lethe::testing {

// A fresh, empty folder per test, "<module>_<suite>_<test>_<pid>", under LETHE_TEST_TMP (set by
// CTest) or the system temp dir.
inline std::filesystem::path test_temp_dir(const std::string& module) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const char* root = std::getenv("LETHE_TEST_TMP");
  std::filesystem::path dir =
      root ? std::filesystem::path(root) : std::filesystem::temp_directory_path();
  dir /= module + "_" + info->test_suite_name() + "_" + info->name() + "_" +
         std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs f, expects an InputError whose message contains every one of `parts`.
template <class F>
void expect_input_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    for (const auto& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "message: " << e.what() << "\nmissing: " << p;
  }
}

// Bit-identical: same names, shapes, dtypes and bytes.
inline bool identical(const TensorMap& a, const TensorMap& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end() || !t.sizes().equals(it->second.sizes()) ||
        t.scalar_type() != it->second.scalar_type() || !torch::equal(t, it->second))
      return false;
  }
  return true;
}

}  // namespace lethe::testing
