#pragma once
// Deletion requests (CONTRACT.md): client:K, samples:K:FRACTION, samples:@FILE, concept:WORD;
// for the multimodal LM (run.mode = mllm) entities:FRACTION — forget the images of that share
// of the emoji (seeded) — and concept:WORD (the emoji whose label has the word).
#include <cstdint>
#include <string>

namespace lethe::unlearn {

struct Request {
  enum class Kind { kClient, kSamples, kConcept, kEntities };
  Kind kind = Kind::kClient;
  int64_t client = -1;    // client / samples:K:F
  double fraction = 0.0;  // samples:K:F, entities:F, in (0, 1]
  std::string ids_file;   // samples:@FILE (one pair id per line)
  std::string word;       // concept:WORD (lower-cased)

  bool is_client() const { return kind == Kind::kClient; }

  // The canonical text ("client:0", "samples:2:0.05", "samples:@ids.txt", "concept:cat",
  // "entities:0.05").
  std::string str() const;
  // A file-system-safe name for the request's output folder ("client-0", "concept-cat").
  std::string slug() const;
};

// InputError naming the request and what is wrong with it.
Request parse_request(const std::string& text);

}  // namespace lethe::unlearn
