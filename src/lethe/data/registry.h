#pragma once
// Datasets by name (emoji, emoji-styles, fashion-mnist, shapes, karpathy). load() in dataset.h dispatches
// through this registry, then checks the result's consistency.
#include <functional>

#include "lethe/core/registry.h"
#include "lethe/data/dataset.h"

namespace lethe::data {

using DatasetFactory = std::function<Dataset(const DataConfig&)>;

// The registry, empty until register_builtin_datasets() runs (load() runs it).
Registry<DatasetFactory>& datasets();

// Adds the built-in datasets; safe to call more than once.
void register_builtin_datasets();

}  // namespace lethe::data
