#pragma once
// One dataset's pairs after another's, for a federation whose clients train on two datasets
// (CreamFL's emoji and Fashion-MNIST clients): deletion requests and audits name the pairs of
// both with one list of ids.
#include "lethe/data/dataset.h"

namespace lethe::data {

// `a` with `b`'s images, captions (and tags), pairs and units after its own: b's pair, image,
// caption and unit ids shift by a's counts (b's pair p is a.num_pairs() + p). train/test/val
// stay a's, so everything that reads the splits sees `a` unchanged. Label columns are the union
// of both; a pair whose dataset lacks a column takes its dataset's name as the category (a's
// categories keep their indices). Images must have the same size.
Dataset append(const Dataset& a, const Dataset& b);

}  // namespace lethe::data
