#pragma once
// Flickr30K / MS-COCO in Karpathy's split format (DATA.md §4): dataset_flickr30k.json /
// dataset_coco.json with images[] = {filename, optional filepath, split, sentences[].raw}.
//
// Image files are found relative to the JSON's folder: if that folder has an images/
// subfolder, <dir>/images/[<filepath>/]<filename>, else <dir>/[<filepath>/]<filename>.
// Splits: train and restval → train, val → Dataset::val, test → test.
// Unit = an image with all its captions (one pair per caption).
#include "lethe/data/dataset.h"

namespace lethe::data {

// cfg.karpathy_json names the file; cfg.limit keeps the first `limit` images of each split.
// Labels: source (the JSON's "dataset" field, else "karpathy"). Decoded images are cached.
// Errors (missing file, invalid JSON, a missing or mistyped field, an unknown split, a missing
// image file) are InputErrors naming the JSON file and the image index; an image that does not
// decode is named by its path.
Dataset load_karpathy(const DataConfig& cfg);

}  // namespace lethe::data
