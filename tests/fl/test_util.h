#pragma once
// Helpers shared by the fl and strategies tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/test_util.h"

namespace lethe::testing {

inline std::string fl_temp_dir() { return test_temp_dir("fl").string(); }

}  // namespace lethe::testing
