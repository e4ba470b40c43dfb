#pragma once
// Progress display on stderr for every long loop: on a TTY one self-updating line with count,
// rate and ETA; otherwise plain lines at most every 10 seconds (and at the end).
// Quiet when LETHE_QUIET=1.
#include <chrono>
#include <cstdint>
#include <string>

namespace lethe {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  ~Progress();  // finishes the line if done() was not called
  void tick(int64_t n = 1);
  void set_note(std::string note);  // e.g. "loss 2.31"
  void done();

 private:
  void render(bool final);
  std::string label_, unit_, note_;
  int64_t total_, count_ = 0;
  bool tty_, quiet_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_render_;
};

}  // namespace lethe
