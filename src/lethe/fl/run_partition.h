#pragma once
// The partition of a federated run: made from the [fl] section on a fresh run and written to
// <run>/partition.json; read back (and checked against the dataset and the config) when the
// file is already there — a resumed run, or a retrain reference pointed at the same manifest.
#include <cstdint>
#include <string>

#include "lethe/data/partition.h"
#include "lethe/fl/fl_config.h"

namespace lethe::fl {

data::PartitionSpec partition_spec(const FlConfig& cfg, uint64_t seed);

// manifest: the file to read or write (usually <run>/partition.json). InputError when an
// existing manifest does not fit the dataset or was made with other [fl] partition settings.
data::Partition load_or_make_partition(const FlConfig& cfg, uint64_t seed, const data::Dataset& ds,
                                       const std::string& manifest);

}  // namespace lethe::fl
