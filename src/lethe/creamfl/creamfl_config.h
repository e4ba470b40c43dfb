#pragma once
// CreamFL's settings: the [creamfl] section (METHODS.md §1 "CreamFL"). Used when
// fl.strategy = "creamfl"; the rounds, sampling and local epochs/steps still come from [fl], the
// optimiser from [train], the server model from [model].
#include <algorithm>
#include <cstdint>
#include <string>

#include "lethe/core/config.h"

namespace lethe::creamfl {

struct CreamConfig {
  // The public paired set P: this fraction of the training units (all their pairs), seeded.
  double public_fraction = 0.3;
  int64_t public_limit = 0;        // keep at most this many public pairs (0 = all)
  double val_fraction = 0.05;      // training units held out as the server's validation gallery
  // The federation: paired clients (a small CLIP on emoji pairs), image-only clients (CNN on
  // emoji images by group), text-only clients (GRU on emoji captions by group), and image-only
  // clients on captioned Fashion-MNIST (CNN by class). The emoji units left after P and the
  // validation gallery are split among the emoji clients with fl.partition.
  int64_t paired_clients = 4;
  int64_t image_clients = 2;
  int64_t text_clients = 2;
  int64_t fashion_clients = 2;
  int64_t fashion_images = 6000;   // Fashion-MNIST training images shared by the fashion clients
  std::string class_label = "group";  // emoji label the uni-modal clients classify
  // Client models (each smaller than the server's CLIP).
  int64_t paired_width = 64;       // paired clients' CLIP: both towers' width
  int64_t paired_layers = 1;       // ... and depth
  int64_t paired_patch = 8;
  int64_t cnn_channels = 32;       // image clients: first-stage channels (then 2x, 4x)
  int64_t gru_width = 128;         // text clients: GRU hidden size
  // The round.
  bool server_public_epoch = true;  // step 1: the server trains an epoch on P with L_CLIP
  std::string regularizer = "joint";  // joint (paper) | separate (released code) | none
  double reg_weight = 0.5;           // λ on L_inter + L_intra
  double reg_tau = 0.5;              // τ of both regularisers
  std::string aggregation = "ensemble";  // ensemble (global-local) | average (FedMD-style)
  double distill_weight = 0.3;       // β on the server's distillation MSE
  // β ramps linearly from 0 in round 1 to distill_weight in round distill_warmup + 1 (0 = constant):
  // early clients have learnt little and round 1's G is the untrained server's.
  int64_t distill_warmup = 0;
  // joint: the round's public epoch moves after the aggregation and adds β·MSE to L_CLIP in the
  // same steps; separate: the paper's step 6, an epoch of β·MSE after the public epoch, which
  // collapsed the server here (docs/methods/creamfl.md "Measured").
  std::string distill_mode = "joint";
  int64_t public_batch = 128;        // public pairs per regulariser batch
  int64_t chunk_bytes_mb = 64;       // ensemble scores: bound on one chunk's |chunk|×|P| matrix
  // Unlearning: keep each client's share of the server's updates in <run>/history (shares.h;
  // fl.history_every, fl.sketch_* apply) so that history-subtraction, fedrecovery and EASE can
  // unlearn the run. One extra backward pass per client and distillation step.
  bool client_shares = false;

  template <class V>
  void visit(V& v) {
    v("public_fraction", public_fraction, "training units in the public paired set P").in(0.01, 0.9);
    v("public_limit", public_limit, "at most this many public pairs (0 = all)").min(0);
    v("val_fraction", val_fraction, "training units held out as the server's validation gallery")
        .in(0.0, 0.5);
    v("paired_clients", paired_clients, "clients with a small CLIP on image-text pairs").in(0, 1000);
    v("image_clients", image_clients, "image-only clients (CNN) on emoji images").in(0, 1000);
    v("text_clients", text_clients, "text-only clients (GRU) on emoji captions").in(0, 1000);
    v("fashion_clients", fashion_clients, "image-only clients (CNN) on Fashion-MNIST").in(0, 1000);
    v("fashion_images", fashion_images, "Fashion-MNIST images shared by the fashion clients")
        .in(1, 60000);
    v("class_label", class_label, "emoji label the uni-modal clients classify (group, subgroup)");
    v("paired_width", paired_width, "paired clients' CLIP width").in(8, 4096);
    v("paired_layers", paired_layers, "paired clients' CLIP depth").in(1, 64);
    v("paired_patch", paired_patch, "paired clients' ViT patch size").in(1, 256);
    v("cnn_channels", cnn_channels, "image clients' CNN first-stage channels").in(8, 1024);
    v("gru_width", gru_width, "text clients' GRU hidden size").in(8, 4096);
    v("server_public_epoch", server_public_epoch, "server trains an epoch on P before each round");
    v("regularizer", regularizer, "joint | separate | none (inter/intra-modal regularisers)")
        .one_of({"joint", "separate", "none"});
    v("reg_weight", reg_weight, "lambda on L_inter + L_intra").in(0.0, 100.0);
    v("reg_tau", reg_tau, "temperature of L_inter and L_intra").in(1e-3, 100.0);
    v("aggregation", aggregation, "ensemble | average (of the clients' representations)")
        .one_of({"ensemble", "average"});
    v("distill_weight", distill_weight, "beta on the server's distillation MSE").in(0.0, 100.0);
    v("distill_warmup", distill_warmup, "rounds over which beta ramps up from 0 (0 = constant)")
        .in(0, 100000);
    v("client_shares", client_shares,
      "keep each client's share of the server's updates (history methods and EASE can unlearn)");
    v("distill_mode", distill_mode, "joint (L_CLIP + beta MSE in one epoch) | separate (a distillation epoch)")
        .one_of({"joint", "separate"});
    v("public_batch", public_batch, "public pairs per regulariser batch").min(2);
    v("chunk_bytes_mb", chunk_bytes_mb, "ensemble: MB bound on one chunk of scores").in(1, 65536);
  }

  // β of round r (1-based): distill_weight · min(1, (r − 1) / distill_warmup).
  double distill_beta(int64_t round) const {
    if (distill_warmup <= 0) return distill_weight;
    return distill_weight * std::min(1.0, double(round - 1) / double(distill_warmup));
  }

  int64_t num_clients() const { return paired_clients + image_clients + text_clients + fashion_clients; }
};

}  // namespace lethe::creamfl
