#pragma once
// The server side of a CreamFL round (METHODS.md §1, step 5): the clients' representations of
// one modality on P become the distillation target Z̄, one client at a time.
//
// Global–local cross-modal ensemble: client k's representation z^k_p of public sample p scores
//   score_{k,p} = ⟨z^k_p, G_p⟩ − logsumexp_j ⟨z^k_p, G_j⟩      (G: the server's *other* modality)
// (how well it retrieves its own pair among all of P, temperature 1, same-unit j ≠ p masked),
// and Z̄_p = Σ_k softmax_k(score_{k,p}) · z^k_p. The softmax over clients is streamed (running
// max, rescaled sums), so memory is O(|P|·D) whatever the number of clients, and the scores are
// computed in chunks of public samples: no |P|×|P| matrix is ever held (the released code's
// were; they ran machines out of memory). `average` is the FedMD-style mean for the ablation.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lethe::creamfl {

enum class Aggregation { kEnsemble, kAverage };
Aggregation parse_aggregation(const std::string& name);

// Rows of public samples per chunk so that one chunk's scores (rows × |P| floats) stay within
// `bytes`; at least 1.
int64_t chunk_rows(int64_t num_public, int64_t bytes);

// score_{k,p} for every p: reps (|P|,D) one client's, global_other (|P|,D), units (|P|) int64.
torch::Tensor ensemble_scores(const torch::Tensor& reps, const torch::Tensor& global_other,
                              const torch::Tensor& units, int64_t rows_per_chunk);

// Mean over P of cos(target_p, own_p): how far the distillation target Z̄ of one modality lies
// from the server's own representations G of it (1: the clients only echo the server).
double target_agreement(const torch::Tensor& target, const torch::Tensor& own);

class RepresentationAggregator {
 public:
  // global_other, units: as in ensemble_scores (unused by `average`).
  RepresentationAggregator(Aggregation rule, torch::Tensor global_other, torch::Tensor units,
                           int64_t rows_per_chunk);
  // One client's (|P|,D) representations.
  void add(const torch::Tensor& reps);
  int64_t count() const { return count_; }
  // Z̄ (|P|,D); requires count() > 0.
  torch::Tensor result() const;
  // w_i (|P|): the weight of the i-th added client's representation of each public sample in
  // Z̄ (the weights of a sample sum to 1 over the clients).
  torch::Tensor weights(int64_t i) const;

 private:
  Aggregation rule_;
  torch::Tensor other_, units_;
  int64_t rows_;
  int64_t count_ = 0;
  torch::Tensor max_, denom_, acc_;  // (|P|), (|P|), (|P|,D)
  std::vector<torch::Tensor> scores_;  // score_{k,p} of every added client (ensemble)
};

}  // namespace lethe::creamfl
