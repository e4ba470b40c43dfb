#pragma once
// Datasets by name (emoji, emoji-styles, fashion-mnist, shapes, karpathy). load() in dataset.h dispatches
// through this registry, then checks the result's consistency.
#include <functional>

#include "lethe/core/registry.h"
#include "lethe/data/dataset.h"

namespace lethe::data {

using DatasetFactory = std::function<Dataset(const DataConfig&)>;

// The registry, with the built-in datasets from its first use.
Registry<DatasetFactory>& datasets();

}  // namespace lethe::data
