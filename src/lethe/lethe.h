#pragma once
// Lethe as a C++ library (docs/library.md): the entry points a program needs, in one include.
// `find_package(Lethe)` + `target_link_libraries(app PRIVATE Lethe::lethe)` gives liblethe.so
// (every module from core to unlearn) and these headers; each module's own headers stay
// available as lethe/<module>/<file>.h for deeper use.
#include "lethe/core/config.h"           // config::to_toml, key=value overrides
#include "lethe/core/context.h"          // Context: device, precision, threads
#include "lethe/core/error.h"            // InputError, NumericalError, LETHE_CHECK
#include "lethe/core/safetensors.h"      // read_safetensors / write_safetensors
#include "lethe/eval/embed.h"            // embed_images / embed_texts
#include "lethe/experiment/experiment.h" // load_experiment, parse_experiment, run_experiment
#include "lethe/interop/embed_files.h"   // embed image files and captions with a loaded model
#include "lethe/interop/model_source.h"  // load_model: a run, a checkpoint, OpenCLIP weights
#include "lethe/unlearn/session.h"       // run_unlearning: a deletion request, its audit
#include "lethe/unlearn/unlearner.h"     // the method registry, the Unlearner interface
#include "lethe/version.h"               // kVersion
