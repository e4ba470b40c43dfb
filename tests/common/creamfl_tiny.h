#pragma once
// The tiny CreamFL federation the creamfl and unlearn tests train: two paired clients, one
// image-only and one text-only client on shapes, one Fashion-MNIST client; a tiny server CLIP
// that is still larger than every client.
namespace lethe::testing {

inline const char* kTinyCreamToml =
    "[run]\nname = \"cream\"\nmode = \"federated\"\nthreads = 1\nprecision = \"fp32\"\n"
    "[data]\nname = \"shapes\"\nimage_size = 16\nshapes_train = 300\nshapes_test = 32\n"
    "[model]\npreset = \"tiny\"\n"
    "[train]\nbatch_size = 16\nnum_merges = 50\n[eval]\ntrain_units = 32\n"
    "[fl]\nstrategy = \"creamfl\"\nrounds = 2\nlocal_epochs = 1\npartition = \"iid\"\n"
    "min_units_per_client = 2\n"
    "[creamfl]\npaired_clients = 2\nimage_clients = 1\ntext_clients = 1\nfashion_clients = 1\n"
    "fashion_images = 200\nclass_label = \"shape\"\npaired_width = 16\npaired_patch = 8\n"
    "cnn_channels = 8\ngru_width = 16\npublic_batch = 16\n";

}  // namespace lethe::testing
