#pragma once
// The [mllm] section: the tiny multimodal LM of METHODS.md §5 (run.mode = "mllm"). A run first
// pretrains a CLIP centrally with [train] / [model] (its image tower becomes the LM's vision
// tower), then trains the LM with these settings on the emoji VQA and text-QA tasks.
#include <cstdint>
#include <string>

#include "lethe/core/config.h"

namespace lethe::mllm {

struct MllmConfig {
  int64_t prefix_tokens = 4;       // k visual prefix tokens
  int64_t width = 128;             // decoder width
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t projector_hidden = 256;  // projector: Linear(embed_dim → hidden) – GELU – Linear(→ k·width)
  int64_t max_answer_tokens = 12;  // greedy decoding stops here (answers longer are truncated)
  int64_t epochs = 12;
  int64_t batch_size = 64;
  double lr = 1e-3;
  double weight_decay = 0.01;
  double warmup = 0.05;
  double clip_grad = 1.0;
  int64_t num_merges = 1000;       // BPE merges learned on the questions and answers
  int64_t eval_entities = 200;     // entities per evaluation group (seeded sample; 0 = all)
  bool train_vision = true;        // fine-tune the CLIP image tower with the LM (else frozen)

  template <class V>
  void visit(V& v) {
    v("prefix_tokens", prefix_tokens, "visual prefix tokens k").in(1, 64);
    v("width", width, "decoder width").min(8);
    v("layers", layers, "decoder layers").in(1, 48);
    v("heads", heads, "decoder attention heads (divide width)").min(1);
    v("projector_hidden", projector_hidden, "projector hidden size").min(1);
    v("max_answer_tokens", max_answer_tokens, "longest generated answer in tokens").in(1, 64);
    v("epochs", epochs, "LM training epochs").min(1);
    v("batch_size", batch_size, "questions per LM batch").min(1);
    v("lr", lr, "LM peak learning rate (AdamW, warm-up + cosine)").in(0.0, 1.0);
    v("weight_decay", weight_decay, "LM AdamW weight decay").in(0.0, 10.0);
    v("warmup", warmup, "fraction of LM steps in linear warm-up").in(0.0, 1.0);
    v("clip_grad", clip_grad, "LM gradient-norm clip (0 = off)").min(0.0);
    v("num_merges", num_merges, "BPE merges learned on the questions and answers").in(0, 100000);
    v("eval_entities", eval_entities, "entities per evaluation group (0 = all)").min(0);
    v("train_vision", train_vision, "fine-tune the vision tower with the LM");
  }
};

}  // namespace lethe::mllm
