// `import lethe` (docs/python.md): the engine's entry points for Python — configs with overrides,
// training (central, federated), unlearning requests with any registered method and their audit,
// CLIP embeddings as torch tensors, model weights as dict[str, torch.Tensor]. One compiled module,
// build/python/lethe.*.so, with its type stubs (python/lethe.pyi) beside it.
//
// Tensors cross without copies (Debian's python3-torch is the same LibTorch 1.13 as the engine's).
// Long calls release the GIL; their progress goes to stderr as the CLI's does. Errors keep the
// CLI's one-line messages: lethe.Error (bad input: config, request, checkpoint, data) and
// lethe.NumericalError.
#include <torch/extension.h>

#include <pybind11/stl.h>

#include "lethe/core/config.h"
#include "lethe/core/context.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/safetensors.h"
#include "lethe/core/shape.h"
#include "lethe/eval/embed.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/experiment/config_source.h"
#include "lethe/experiment/experiment.h"
#include "lethe/interop/embed_files.h"
#include "lethe/interop/model_source.h"
#include "lethe/unlearn/lm_methods.h"
#include "lethe/unlearn/session.h"
#include "lethe/unlearn/unlearner.h"
#include "lethe/version.h"

namespace py = pybind11;

namespace lethe::python {
namespace {

// A config as given: a file, or the name of a config embedded in the library (configs/).
struct LoadedConfig {
  std::string name, toml;
  experiment::ExperimentConfig cfg;
};

LoadedConfig load_config(const std::string& path_or_name, const std::vector<std::string>& overrides) {
  const auto source = experiment::config_source(path_or_name);
  auto cfg = experiment::parse_experiment(source.toml, source.name, overrides);
  return {source.name, config::to_toml(cfg), std::move(cfg)};
}

// A JSON document (a summary, an audit) as Python dicts and lists.
py::object to_python(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

// `config`: a Config, or a file / embedded name loaded with `overrides`.
LoadedConfig config_of(const py::object& config, const std::vector<std::string>& overrides) {
  if (py::isinstance<LoadedConfig>(config)) {
    LETHE_CHECK(overrides.empty(), "train: give the overrides to load_config, not with a loaded Config");
    return config.cast<LoadedConfig>();
  }
  return load_config(py::str(config).cast<std::string>(), overrides);
}

py::object train_run(const py::object& config, std::string out, const std::vector<std::string>& overrides,
                 bool resume) {
  const auto c = config_of(config, overrides);
  if (out.empty()) out = "runs/" + c.cfg.run.name;
  nlohmann::json summary;
  {
    py::gil_scoped_release release;
    summary = experiment::run_experiment(c.cfg, out, {.resume = resume});
  }
  return to_python(summary);
}

py::object unlearn_run(const std::string& run, const std::string& request, const py::object& methods,
                   const std::string& out, const std::vector<std::string>& overrides, bool report) {
  unlearn::SessionOptions so;
  so.run_dir = run;
  so.request = request;
  so.methods = py::isinstance<py::str>(methods) ? std::vector<std::string>{methods.cast<std::string>()}
                                                : methods.cast<std::vector<std::string>>();
  so.out_dir = out;
  so.overrides = overrides;
  so.report = report;
  nlohmann::json audit;
  {
    py::gil_scoped_release release;
    audit = unlearn::to_json(unlearn::run_unlearning(so));
  }
  return to_python(audit);
}

std::vector<std::pair<std::string, std::string>> methods(bool multimodal_lm) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](const auto& registry) {
    for (const auto* e : registry.entries()) out.emplace_back(e->name, e->description);
  };
  if (multimodal_lm) add(unlearn::lm_unlearners());
  else add(unlearn::unlearners());
  return out;
}

// A run folder opened for reading: its config, state, summary and honoured requests.
class Run {
 public:
  explicit Run(const std::string& path) : folder_(path) {
    LETHE_CHECK(folder_.has_config(), "'{}' is not a Lethe run folder (no config.toml)", path);
    auto cfg = experiment::load_experiment(folder_.config(), {});
    config_ = {folder_.config(), read_file(folder_.config()), std::move(cfg)};
  }
  const std::string& path() const { return folder_.dir(); }
  const LoadedConfig& config() const { return config_; }
  std::string state() const { return folder_.state(); }
  py::object summary() const {
    return folder_.finished() ? to_python(nlohmann::json::parse(read_file(folder_.summary()))) : py::none();
  }
  // request slug → the audit as a dict
  py::dict audits() const {
    py::dict out;
    for (const auto& [slug, path] : folder_.audits()) out[py::str(slug)] = to_python(nlohmann::json::parse(read_file(path)));
    return out;
  }

 private:
  RunFolder folder_;
  LoadedConfig config_;
};

// A CLIP loaded as `lethe embed --model` names it: a Lethe checkpoint or run folder, or
// openclip:FILE|DIR.
class Model {
 public:
  Model(const std::string& spec, const std::string& merges, const std::string& openclip_config,
        const std::string& precision, int threads)
      : loaded_(interop::load_model({spec, merges, openclip_config})), ctx_(context(precision, threads)) {}

  torch::Tensor embed_images(const std::vector<std::string>& paths, int64_t batch) {
    py::gil_scoped_release release;
    return interop::embed(loaded_, {.images = paths, .texts = {}, .batch = batch}, ctx_).image;
  }
  torch::Tensor embed_texts(const std::vector<std::string>& texts, int64_t batch) {
    py::gil_scoped_release release;
    return interop::embed(loaded_, {.images = {}, .texts = texts, .batch = batch}, ctx_).text;
  }
  // Preprocessed images (N,3,S,S) uint8 at the model's resolution → (N,D) unit-norm float32.
  torch::Tensor encode_images(const torch::Tensor& images_u8, int64_t batch) {
    const auto s = loaded_.cfg.image_size;
    LETHE_CHECK(images_u8.dim() == 4 && images_u8.size(1) == 3 && images_u8.size(2) == s && images_u8.size(3) == s &&
                    images_u8.scalar_type() == torch::kUInt8,
                "encode_images: expected a uint8 tensor (N,3,{},{}), got {} {}", s, s,
                c10::toString(images_u8.scalar_type()), shape_str(images_u8));
    py::gil_scoped_release release;
    return eval::embed_images(loaded_.model, images_u8.contiguous(), ctx_, batch);
  }
  TensorMap state_dict() {
    TensorMap out;
    for (const auto& p : loaded_.model->named_parameters()) out[p.key()] = p.value().detach().clone();
    return out;
  }
  void load_state_dict(const TensorMap& weights) { experiment::load_parameters(loaded_.model, weights); }
  const std::string& description() const { return loaded_.description; }
  int64_t image_size() const { return loaded_.cfg.image_size; }
  int64_t embed_dim() const { return loaded_.cfg.embed_dim; }

 private:
  static Context context(const std::string& precision, int threads) {
    ContextConfig cc;
    cc.precision = precision;
    cc.threads = threads;
    return Context(cc);
  }
  interop::LoadedModel loaded_;
  Context ctx_;
};

}  // namespace
}  // namespace lethe::python

PYBIND11_MODULE(lethe, m) {
  using namespace lethe;
  using namespace lethe::python;
  py::module_::import("torch");  // registers the tensor type the functions below take and return
  m.doc() = "Lethe: federated CLIP training, unlearning requests and their audit (docs/python.md)";
  m.attr("__version__") = kVersion;

  static py::exception<Error> error(m, "Error", PyExc_ValueError);
  static py::exception<NumericalError> numerical(m, "NumericalError", PyExc_ArithmeticError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const NumericalError& e) {
      numerical(e.what());
    } catch (const Error& e) {
      error(e.what());
    }
  });

  py::class_<LoadedConfig>(m, "Config", "A validated experiment config (TOML file or embedded name, plus overrides)")
      .def_readonly("name", &LoadedConfig::name, "where it came from")
      .def_readonly("toml", &LoadedConfig::toml, "the resolved config, every key, as TOML")
      .def_property_readonly("seed", [](const LoadedConfig& c) { return c.cfg.run.context.seed; })
      .def_property_readonly("mode", [](const LoadedConfig& c) { return c.cfg.run.mode; })
      .def("__repr__", [](const LoadedConfig& c) { return "<lethe.Config " + c.name + ">"; });
  m.def("load_config", &load_config, py::arg("path_or_name"), py::arg("overrides") = std::vector<std::string>{},
        "Read and validate a config file or embedded config with key=value overrides.");
  m.def("train", &train_run, py::arg("config"), py::arg("out") = "", py::arg("overrides") = std::vector<std::string>{},
        py::arg("resume") = false,
        "Train a run (central or federated, as the config says) into `out` (default runs/<run.name>); "
        "`config` is a Config, a TOML file or an embedded config's name. Returns summary.json as a dict. "
        "Releases the GIL; progress goes to stderr.");
  m.def("unlearn", &unlearn_run, py::arg("run"), py::arg("request"), py::arg("methods"), py::arg("out") = "",
        py::arg("overrides") = std::vector<std::string>{}, py::arg("report") = false,
        "Honour a deletion request (client:K, samples:K:F, samples:@FILE, concept:WORD) on a trained "
        "federated run with registered methods; `overrides` are unlearn.* knobs. Writes audit.json under "
        "`out` (default <run>/unlearn/<request>) and returns it as a dict.");
  m.def("methods", &methods, py::arg("multimodal_lm") = false,
        "Registered unlearning methods as (name, description) pairs.");
  m.def(
      "load_weights", [](const std::string& path) { return read_safetensors(path).tensors; }, py::arg("path"),
      "Tensors of a safetensors file (a Lethe checkpoint, an OpenCLIP file) as dict[str, torch.Tensor].");
  m.def(
      "save_weights", [](const std::string& path, const TensorMap& tensors) { write_safetensors(path, tensors); },
      py::arg("path"), py::arg("tensors"), "Write dict[str, torch.Tensor] as a safetensors file (atomically).");

  py::class_<Run>(m, "Run", "A run folder: its config, state, summary and the audits of its requests")
      .def(py::init<const std::string&>(), py::arg("path"))
      .def_property_readonly("path", &Run::path)
      .def_property_readonly("config", &Run::config, "the run's resolved config (config.toml)")
      .def_property_readonly("state", &Run::state, "'finished', 'interrupted' (resumable) or 'incomplete'")
      .def_property_readonly("summary", &Run::summary, "summary.json as a dict; None until training finished")
      .def("audits", &Run::audits, "every honoured request's audit.json, by request slug (client-0, ...)")
      .def("__repr__", [](const Run& r) { return "<lethe.Run " + r.path() + " (" + r.state() + ")>"; });

  py::class_<Model>(m, "Model", "A CLIP: a Lethe checkpoint or run folder, or openclip:FILE|DIR")
      .def(py::init<const std::string&, const std::string&, const std::string&, const std::string&, int>(),
           py::arg("spec"), py::arg("merges") = "", py::arg("openclip_config") = "", py::arg("precision") = "fp32",
           py::arg("threads") = 0)
      .def("embed_images", &Model::embed_images, py::arg("paths"), py::arg("batch") = 64,
           "Image files → (N, D) unit-norm float32 embeddings (OpenCLIP's preprocessing).")
      .def("embed_texts", &Model::embed_texts, py::arg("texts"), py::arg("batch") = 64,
           "Captions → (M, D) unit-norm float32 embeddings.")
      .def("encode_images", &Model::encode_images, py::arg("images"), py::arg("batch") = 512,
           "Preprocessed uint8 images (N, 3, S, S) → (N, D) unit-norm float32 embeddings.")
      .def("state_dict", &Model::state_dict, "Every parameter, dict[str, torch.Tensor] (copies).")
      .def("load_state_dict", &Model::load_state_dict, py::arg("weights"),
           "Copy tensors into the parameters of the same names (every name must exist, same shapes).")
      .def_property_readonly("description", &Model::description)
      .def_property_readonly("image_size", &Model::image_size)
      .def_property_readonly("embed_dim", &Model::embed_dim);
}
