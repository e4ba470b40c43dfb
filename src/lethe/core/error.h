#pragma once
// Errors. Two kinds reach users:
//   InputError  — bad usage, config, file, request or message; the CLI exits 2 with one line.
//   Error       — anything else that fails at run time; the CLI exits 1.
// NumericalError (an Error) marks a computation on data that produced non-finite values or did
// not converge (a diverged local training, a sketch's SVD): code that computes on one client's
// record catches it and refuses that record instead of ending the run (docs/reliability.md).
// Internal invariants use LETHE_ASSERT (a bug, not a user mistake).
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace lethe {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InputError : public Error {
 public:
  using Error::Error;
};

class NumericalError : public Error {
 public:
  using Error::Error;
};

}  // namespace lethe

// LETHE_CHECK(cond, "fmt {}", args...): user-facing check; throws InputError with the message.
#define LETHE_CHECK(cond, ...)                                   \
  do {                                                           \
    if (!(cond)) throw ::lethe::InputError(fmt::format(__VA_ARGS__)); \
  } while (0)

// LETHE_ENSURE(cond, "fmt {}", args...): run-time failure that is not the user's input.
#define LETHE_ENSURE(cond, ...)                                  \
  do {                                                           \
    if (!(cond)) throw ::lethe::Error(fmt::format(__VA_ARGS__)); \
  } while (0)

// LETHE_ASSERT(cond): internal invariant; names the failed condition and where.
#define LETHE_ASSERT(cond)                                                             \
  do {                                                                                 \
    if (!(cond))                                                                       \
      throw std::logic_error(fmt::format("internal error: {} ({}:{})", #cond, __FILE__, \
                                         __LINE__));                                   \
  } while (0)
