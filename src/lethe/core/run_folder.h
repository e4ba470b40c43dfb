#pragma once
// The run folder's layout (docs/architecture.md "The run folder"), spelled once: every program
// that writes or reads a run — training, resume, the retrain reference, unlearning, the
// deployed server, the benchmarks, `lethe runs` — asks this type for its paths.
//
//   config.toml  metrics.jsonl  summary.json  partition.json  server_address
//   checkpoints/{final,lm}.safetensors  checkpoints/latest  checkpoints/<round>...
//   history/  unlearn/<request>/  unlearn/retrain-<sha>/  unlearned/<sha>/
#include <string>
#include <utility>
#include <vector>

namespace lethe {

class RunFolder {
 public:
  explicit RunFolder(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }
  std::string config() const { return dir_ + "/config.toml"; }      // the resolved config
  std::string metrics() const { return dir_ + "/metrics.jsonl"; }   // one event per line
  std::string summary() const { return dir_ + "/summary.json"; }    // written last: finished
  std::string partition() const { return dir_ + "/partition.json"; }  // federated: who holds what
  std::string server_address() const { return dir_ + "/server_address"; }  // deployed
  std::string checkpoints() const { return dir_ + "/checkpoints"; }
  std::string final_checkpoint() const { return checkpoints() + "/final.safetensors"; }  // the CLIP
  std::string lm_checkpoint() const { return checkpoints() + "/lm.safetensors"; }  // run.mode = mllm
  std::string latest_round() const { return checkpoints() + "/latest"; }  // an interrupted run's mark
  std::string history() const { return dir_ + "/history"; }  // federated: stored client updates
  // Where `lethe unlearn` writes a request's models, audit and report by default.
  std::string unlearn_root() const { return dir_ + "/unlearn"; }
  std::string unlearn(const std::string& request_slug) const { return unlearn_root() + "/" + request_slug; }

  bool has_config() const;        // a run folder at all
  bool finished() const;          // summary.json exists
  bool resumable() const;         // a config and a latest round, no summary
  bool has_history() const;       // history/index.json: an fl::UpdateHistory was kept
  // (request slug, audit.json path) of every honoured request under unlearn/, sorted.
  std::vector<std::pair<std::string, std::string>> audits() const;
  // "finished", "interrupted" (resumable) or "incomplete".
  std::string state() const;
  // The config.toml text equals `toml` (the same resolved config: results of two configs never mix).
  bool holds_config(const std::string& toml) const;

 private:
  std::string dir_;
};

}  // namespace lethe
