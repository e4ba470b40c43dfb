#include "lethe/models/openclip_arch.h"

#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "lethe/core/error.h"
#include "lethe/core/strings.h"
#include "lethe/models/shape.h"

namespace lethe::models {

namespace {

using nlohmann::json;

// ---------------------------------------------------------------- the model-config JSON

// Walks one JSON object of an OpenCLIP config: every key must be known; each handler reads or
// vets its value. Errors name the file and the dotted key.
class ObjectReader {
 public:
  using Handler = std::function<void(const json& value, const std::string& key)>;

  ObjectReader(const json& obj, std::string prefix, const std::string& source)
      : obj_(obj), prefix_(std::move(prefix)), source_(source) {
    if (!obj.is_object()) fail(prefix_.empty() ? "the file" : prefix_, "must be a JSON object");
  }

  // Runs every handler on its key, and fails on a key without one.
  void read(const std::map<std::string, Handler>& handlers) const {
    std::vector<std::string> known;
    for (const auto& [k, h] : handlers) known.push_back(k);
    for (const auto& [k, v] : obj_.items()) {
      auto it = handlers.find(k);
      if (it == handlers.end())
        throw InputError(fmt::format("OpenCLIP config '{}': key '{}' is not one Lethe knows{}",
                                     source_, path(k), did_you_mean(k, known)));
      it->second(v, path(k));
    }
  }
  bool has(const std::string& key) const { return obj_.contains(key) && !obj_.at(key).is_null(); }
  std::string path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw InputError(fmt::format("OpenCLIP config '{}': '{}' {}", source_, key, why));
  }

 private:
  const json& obj_;
  std::string prefix_;
  const std::string& source_;
};

struct Vet {
  const std::string& source;

  [[noreturn]] void fail(const std::string& key, const json& v, const std::string& why) const {
    throw InputError(fmt::format("OpenCLIP config '{}': '{}' = {} {}", source, key, v.dump(), why));
  }
  int64_t integer(const json& v, const std::string& key) const {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>())
      return static_cast<int64_t>(v.get<double>());
    fail(key, v, "must be an integer");
  }
  int64_t positive(const json& v, const std::string& key) const {
    const int64_t x = integer(v, key);
    if (x <= 0) fail(key, v, "must be > 0");
    return x;
  }
  double number(const json& v, const std::string& key) const {
    if (!v.is_number()) fail(key, v, "must be a number");
    return v.get<double>();
  }
  bool boolean(const json& v, const std::string& key) const {
    if (!v.is_boolean()) fail(key, v, "must be true or false");
    return v.get<bool>();
  }
  // A key whose only value Lethe implements is `expected` (null counts as OpenCLIP's default).
  std::function<void(const json&, const std::string&)> only(json expected, std::string what) const {
    return [this, expected = std::move(expected), what = std::move(what)](const json& v,
                                                                           const std::string& key) {
      if (!v.is_null() && v != expected) fail(key, v, "asks for " + what + ", which Lethe does not implement");
    };
  }
  // A key that must be null, false, 0 or empty (a feature Lethe lacks, off).
  std::function<void(const json&, const std::string&)> off(std::string what) const {
    return [this, what = std::move(what)](const json& v, const std::string& key) {
      const bool is_off = v.is_null() || v == false || v == 0 || (v.is_object() && v.empty()) ||
                          (v.is_string() && v.get<std::string>().empty());
      if (!is_off) fail(key, v, "asks for " + what + ", which Lethe does not implement");
    };
  }
};

// A key that does not change what the model computes for an embedding (training-time options,
// token outputs, settings of a tower kind that is off).
void ignored(const json&, const std::string&) {}

struct VisionCfg {
  int64_t image_size = 224, layers = 12, width = 768, head_width = 64, patch_size = 16;
  double mlp_ratio = 4.0;
};
struct TextCfg {
  int64_t context_length = 77, vocab_size = 49408, width = 512, heads = 8, layers = 12;
  double mlp_ratio = 4.0;
};

VisionCfg read_vision(const json& obj, const std::string& source) {
  VisionCfg c;
  ObjectReader r(obj, "vision_cfg", source);
  Vet vet{source};
  auto pos = [&](int64_t& field) {
    return [&vet, &field](const json& v, const std::string& k) { field = vet.positive(v, k); };
  };
  r.read({
      {"image_size",
       [&](const json& v, const std::string& k) {
         if (v.is_array()) {
           if (v.size() != 2 || v[0] != v[1]) vet.fail(k, v, "is not square; Lethe's ViT takes square images");
           c.image_size = vet.positive(v[0], k);
         } else {
           c.image_size = vet.positive(v, k);
         }
       }},
      {"layers",
       [&](const json& v, const std::string& k) {
         if (v.is_array()) vet.fail(k, v, "asks for a ModifiedResNet image tower, which Lethe does not implement");
         c.layers = vet.positive(v, k);
       }},
      {"width", pos(c.width)},
      {"head_width", pos(c.head_width)},
      {"patch_size", pos(c.patch_size)},
      {"mlp_ratio", [&](const json& v, const std::string& k) { c.mlp_ratio = vet.number(v, k); }},
      {"ls_init_value", vet.off("layer scale")},
      {"patch_dropout", ignored},  // training-time only: inference sees every patch
      {"input_patchnorm", vet.off("input patch normalisation")},
      {"global_average_pool", vet.off("average pooling of the image tokens")},
      {"attentional_pool", vet.off("attentional pooling")},
      {"n_queries", ignored},
      {"attn_pooler_queries", ignored},
      {"attn_pooler_heads", ignored},
      {"no_ln_pre", vet.off("an image tower without ln_pre")},
      {"pos_embed_type", vet.only("learnable", "a positional embedding other than 'learnable'")},
      {"final_ln_after_pool", ignored},  // ln_post is per token: pooling first changes nothing
      {"pool_type", vet.only("tok", "image pooling other than the class token ('tok')")},
      {"output_tokens", ignored},
      {"act_kwargs", vet.off("activation arguments")},
      {"norm_kwargs", vet.off("LayerNorm arguments")},
      {"drop_path_rate", ignored},
      {"timm_model_name", vet.off("a timm image tower")},
      {"timm_model_pretrained", ignored},
      {"timm_pool", ignored},
      {"timm_proj", ignored},
      {"timm_proj_bias", ignored},
      {"timm_drop", ignored},
      {"timm_drop_path", ignored},
      {"dino_model_name", vet.off("a DINO image tower")},
      {"hf_model_name", vet.off("a Hugging Face image tower")},
  });
  if (c.width % c.head_width != 0)
    vet.fail("vision_cfg.head_width", c.head_width,
             fmt::format("does not divide vision_cfg.width = {}", c.width));
  return c;
}

TextCfg read_text(const json& obj, const std::string& source) {
  TextCfg c;
  ObjectReader r(obj, "text_cfg", source);
  Vet vet{source};
  auto pos = [&](int64_t& field) {
    return [&vet, &field](const json& v, const std::string& k) { field = vet.positive(v, k); };
  };
  r.read({
      {"context_length", pos(c.context_length)},
      {"vocab_size", pos(c.vocab_size)},
      {"width", pos(c.width)},
      {"heads", pos(c.heads)},
      {"layers", pos(c.layers)},
      {"mlp_ratio", [&](const json& v, const std::string& k) { c.mlp_ratio = vet.number(v, k); }},
      {"hf_tokenizer_name", vet.off("a Hugging Face tokenizer (Lethe reads CLIP merges files)")},
      {"tokenizer_kwargs",
       [&](const json& v, const std::string& k) {
         if (v.is_null()) return;
         if (!v.is_object()) vet.fail(k, v, "must be an object");
         for (const auto& [key, value] : v.items())
           if (!(key == "clean" && value == "lower"))
             vet.fail(k, v, "asks for tokenizer options other than clean = 'lower', which Lethe does not implement");
       }},
      {"ls_init_value", vet.off("layer scale")},
      {"embed_cls", vet.off("a class-token text embedding")},
      {"pad_id", vet.only(0, "a padding id other than 0")},
      {"no_causal_mask", vet.off("a text tower without a causal mask")},
      {"final_ln_after_pool", ignored},  // ln_final is per token: pooling first changes nothing
      {"pool_type", vet.only("argmax", "text pooling other than at the end token ('argmax')")},
      {"proj_bias", vet.off("a text projection with bias")},
      {"proj_type", vet.only("linear", "a text projection other than 'linear'")},
      {"output_tokens", ignored},
      {"act_kwargs", vet.off("activation arguments")},
      {"norm_kwargs", vet.off("LayerNorm arguments")},
      {"hf_model_name", vet.off("a Hugging Face text tower")},
      {"hf_model_pretrained", ignored},
      {"hf_proj_type", ignored},
      {"hf_pooler_type", ignored},
      {"proj", ignored},         // older Hugging Face tower options
      {"pooler_type", ignored},
  });
  return c;
}

}  // namespace

OpenClipConfigFile parse_openclip_config(const std::string& json_text, const std::string& source) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  LETHE_CHECK(!root.is_discarded(), "OpenCLIP config '{}' is not valid JSON", source);
  LETHE_CHECK(root.is_object(), "OpenCLIP config '{}' must hold a JSON object", source);
  OpenClipConfigFile out;
  json model = root;
  if (root.contains("model_cfg")) {  // a hub folder's open_clip_config.json
    Vet vet{source};
    ObjectReader(root, "", source).read({
        {"model_cfg", ignored},
        {"preprocess_cfg",
         [&](const json& v, const std::string& k) {
           if (!v.is_object()) vet.fail(k, v, "must be a JSON object");
           out.preprocess = v;
         }},
    });
    model = root.at("model_cfg");
  }
  Vet vet{source};
  ObjectReader r(model, root.contains("model_cfg") ? "model_cfg" : "", source);
  for (const char* required : {"embed_dim", "vision_cfg", "text_cfg"})
    if (!r.has(required)) r.fail(r.path(required), "is missing");
  int64_t embed_dim = 0;
  bool quick_gelu = false;
  VisionCfg vision;
  TextCfg text;
  r.read({
      {"embed_dim", [&](const json& v, const std::string& k) { embed_dim = vet.positive(v, k); }},
      {"quick_gelu", [&](const json& v, const std::string& k) { quick_gelu = vet.boolean(v, k); }},
      {"vision_cfg", [&](const json& v, const std::string&) { vision = read_vision(v, source); }},
      {"text_cfg", [&](const json& v, const std::string&) { text = read_text(v, source); }},
      {"cast_dtype", ignored},        // the precision OpenCLIP computes in; Lethe's is its Context's
      {"init_logit_scale", ignored},  // the checkpoint's logit_scale tensor wins
      {"custom_text", vet.off("a custom text tower (tensors 'text.*')")},
      {"init_logit_bias", vet.off("a learnt logit bias (SigLIP)")},
      {"nonscalar_logit_scale", vet.off("a non-scalar logit scale")},
      {"multimodal_cfg", vet.off("a multimodal text decoder (CoCa)")},
  });
  // Lethe's ClipConfig has one MLP ratio for both towers (int(width · ratio) hidden units each).
  if (static_cast<int64_t>(static_cast<double>(text.width) * text.mlp_ratio) !=
      static_cast<int64_t>(static_cast<double>(text.width) * vision.mlp_ratio))
    vet.fail(r.path("text_cfg.mlp_ratio"), text.mlp_ratio,
             fmt::format("differs from vision_cfg.mlp_ratio = {}; Lethe's towers share one MLP ratio",
                         vision.mlp_ratio));
  ClipConfig& c = out.model;
  c.preset = "custom";
  c.image_size = vision.image_size;
  c.patch_size = vision.patch_size;
  c.vision_width = vision.width;
  c.vision_layers = vision.layers;
  c.vision_heads = vision.width / vision.head_width;
  c.text_width = text.width;
  c.text_layers = text.layers;
  c.text_heads = text.heads;
  c.context_length = text.context_length;
  c.vocab_size = text.vocab_size;
  c.embed_dim = embed_dim;
  c.mlp_ratio = vision.mlp_ratio;
  c.activation = quick_gelu ? "quick_gelu" : "gelu";
  return out;
}

// ---------------------------------------------------------------- the tensors

namespace {

// Tensor names that belong to architectures Lethe does not implement, and what they are.
struct Foreign {
  const char* fragment;  // matched anywhere in the name
  const char* what;
};
constexpr Foreign kForeign[] = {
    {"visual.trunk.", "a timm image tower"},
    {"visual.layer1.", "a ModifiedResNet image tower (OpenAI's RN50 family)"},
    {"visual.attnpool.", "a ModifiedResNet image tower (OpenAI's RN50 family)"},
    {"visual.attn_pool.", "attentional pooling of the image tokens"},
    {"visual.patchnorm_pre_ln.", "input patch normalisation"},
    {"text_decoder.", "a multimodal text decoder (CoCa)"},
    {".ls_1.", "layer scale"},
    {".ls_2.", "layer scale"},
    {".ln_attn.", "extra attention norms (NormFormer-style scale_attn)"},
    {".ln_inner.", "extra MLP norms (NormFormer-style scale_fc)"},
    {"text_projection.weight", "a text projection with bias (text_cfg.proj_bias)"},
};

void reject_foreign(const TensorMap& w, const std::string& source) {
  for (const auto& [name, t] : w) {
    for (const auto& f : kForeign)
      LETHE_CHECK(name.find(f.fragment) == std::string::npos,
                  "OpenCLIP weights '{}' hold tensor '{}': {}, which Lethe does not implement", source,
                  name, f.what);
    LETHE_CHECK(!name.starts_with("text."),
                "OpenCLIP weights '{}' hold tensor '{}': a custom text tower (custom_text, e.g. a "
                "Hugging Face text model), which Lethe does not implement",
                source, name);
    LETHE_CHECK(name != "logit_bias",
                "OpenCLIP weights '{}' hold tensor 'logit_bias': a learnt logit bias (SigLIP), which "
                "Lethe does not implement",
                source);
  }
}

const torch::Tensor& need(const TensorMap& w, const std::string& name, int64_t dims,
                          const std::string& source) {
  auto it = w.find(name);
  LETHE_CHECK(it != w.end(), "OpenCLIP weights '{}' lack tensor '{}'", source, name);
  LETHE_CHECK(it->second.dim() == dims, "OpenCLIP tensor '{}' in '{}' has shape {}, expected {} dimensions",
              name, source, shape_str(it->second), dims);
  return it->second;
}

int64_t count_blocks(const TensorMap& w, const std::string& prefix) {
  int64_t n = 0;
  while (w.count(fmt::format("{}{}.ln_1.weight", prefix, n))) ++n;
  return n;
}

// One architecture number read off a tensor: which ClipConfig field, which OpenCLIP config key,
// its value and the tensor it came from.
struct Fact {
  int64_t ClipConfig::*field;
  const char* key;
  int64_t value;
  std::string tensor;
  std::string shape;
};

struct Facts {
  std::vector<Fact> shape;
  // MLP hidden widths, checked against int(width · mlp_ratio).
  int64_t vision_mlp, text_mlp;
  std::string vision_mlp_tensor, text_mlp_tensor, vision_mlp_shape, text_mlp_shape;
};

Facts read_facts(const TensorMap& w, const std::string& source) {
  reject_foreign(w, source);
  Facts f;
  const auto& conv = need(w, "visual.conv1.weight", 4, source);
  LETHE_CHECK(conv.size(1) == 3 && conv.size(2) == conv.size(3),
              "OpenCLIP tensor 'visual.conv1.weight' in '{}' has shape {}: expected square RGB patches",
              source, shape_str(conv));
  const int64_t patch = conv.size(3);
  const auto& vpos = need(w, "visual.positional_embedding", 2, source);
  const auto grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(vpos.size(0) - 1))));
  LETHE_CHECK(grid * grid + 1 == vpos.size(0),
              "OpenCLIP tensor 'visual.positional_embedding' in '{}' has {} rows, not 1 + a square "
              "grid of patches",
              source, vpos.size(0));
  const auto& vproj = need(w, "visual.proj", 2, source);
  const auto& tok = need(w, "token_embedding.weight", 2, source);
  const auto& tpos = need(w, "positional_embedding", 2, source);
  const auto& tproj = need(w, "text_projection", 2, source);
  const int64_t vlayers = count_blocks(w, "visual.transformer.resblocks.");
  const int64_t tlayers = count_blocks(w, "transformer.resblocks.");
  LETHE_CHECK(vlayers > 0, "OpenCLIP weights '{}' lack tensor 'visual.transformer.resblocks.0.ln_1.weight'", source);
  LETHE_CHECK(tlayers > 0, "OpenCLIP weights '{}' lack tensor 'transformer.resblocks.0.ln_1.weight'", source);
  const auto& vfc = need(w, "visual.transformer.resblocks.0.mlp.c_fc.weight", 2, source);
  const auto& tfc = need(w, "transformer.resblocks.0.mlp.c_fc.weight", 2, source);

  const auto s = [](const torch::Tensor& t) { return shape_str(t); };
  f.shape = {
      {&ClipConfig::vision_width, "vision_cfg.width", conv.size(0), "visual.conv1.weight", s(conv)},
      {&ClipConfig::patch_size, "vision_cfg.patch_size", patch, "visual.conv1.weight", s(conv)},
      {&ClipConfig::image_size, "vision_cfg.image_size", grid * patch, "visual.positional_embedding", s(vpos)},
      {&ClipConfig::vision_layers, "vision_cfg.layers", vlayers, "visual.transformer.resblocks.*",
       fmt::format("{} blocks", vlayers)},
      {&ClipConfig::embed_dim, "embed_dim", vproj.size(1), "visual.proj", s(vproj)},
      {&ClipConfig::embed_dim, "embed_dim", tproj.size(1), "text_projection", s(tproj)},
      {&ClipConfig::text_width, "text_cfg.width", tok.size(1), "token_embedding.weight", s(tok)},
      {&ClipConfig::vocab_size, "text_cfg.vocab_size", tok.size(0), "token_embedding.weight", s(tok)},
      {&ClipConfig::context_length, "text_cfg.context_length", tpos.size(0), "positional_embedding", s(tpos)},
      {&ClipConfig::text_layers, "text_cfg.layers", tlayers, "transformer.resblocks.*",
       fmt::format("{} blocks", tlayers)},
  };
  f.vision_mlp = vfc.size(0);
  f.text_mlp = tfc.size(0);
  f.vision_mlp_tensor = "visual.transformer.resblocks.0.mlp.c_fc.weight";
  f.text_mlp_tensor = "transformer.resblocks.0.mlp.c_fc.weight";
  f.vision_mlp_shape = s(vfc);
  f.text_mlp_shape = s(tfc);
  return f;
}

int64_t mlp_width(int64_t width, double ratio) {
  return static_cast<int64_t>(static_cast<double>(width) * ratio);
}

}  // namespace

ClipConfig infer_openclip_arch(const TensorMap& weights, const std::string& source) {
  const Facts f = read_facts(weights, source);
  ClipConfig c;
  c.preset = "custom";
  for (const auto& fact : f.shape) {
    LETHE_CHECK(c.*fact.field == 0 || c.*fact.field == fact.value,
                "OpenCLIP weights '{}': tensor '{}' (shape {}) gives {} = {}, but another tensor gave {}",
                source, fact.tensor, fact.shape, fact.key, fact.value, c.*fact.field);
    c.*fact.field = fact.value;
  }
  // OpenAI's checkpoints: 64-wide heads and QuickGELU (OpenCLIP's build from an OpenAI state dict).
  for (auto [width, heads, key] : {std::tuple{c.vision_width, &c.vision_heads, "vision_cfg.width"},
                                   std::tuple{c.text_width, &c.text_heads, "text_cfg.width"}}) {
    LETHE_CHECK(width % 64 == 0,
                "OpenCLIP weights '{}': {} = {} is not a multiple of 64, so the heads cannot be "
                "inferred; give the model's OpenCLIP config (--openclip-config / model.openclip_config)",
                source, key, width);
    *heads = width / 64;
  }
  c.mlp_ratio = static_cast<double>(f.vision_mlp) / static_cast<double>(c.vision_width);
  LETHE_CHECK(mlp_width(c.text_width, c.mlp_ratio) == f.text_mlp,
              "OpenCLIP weights '{}': the text MLP ('{}', shape {}) and the image MLP ('{}', shape {}) "
              "have different width ratios; Lethe's towers share one MLP ratio",
              source, f.text_mlp_tensor, f.text_mlp_shape, f.vision_mlp_tensor, f.vision_mlp_shape);
  c.activation = "quick_gelu";
  return c;
}

void check_openclip_arch(const ClipConfig& cfg, const TensorMap& weights,
                         const std::string& config_source, const std::string& weights_source) {
  const Facts f = read_facts(weights, weights_source);
  for (const auto& fact : f.shape)
    LETHE_CHECK(cfg.*fact.field == fact.value,
                "OpenCLIP config '{}' says {} = {} but tensor '{}' of '{}' has shape {} ({} = {})",
                config_source, fact.key, cfg.*fact.field, fact.tensor, weights_source, fact.shape,
                fact.key, fact.value);
  for (auto [width, hidden, tensor, shape] :
       {std::tuple{cfg.vision_width, f.vision_mlp, f.vision_mlp_tensor, f.vision_mlp_shape},
        std::tuple{cfg.text_width, f.text_mlp, f.text_mlp_tensor, f.text_mlp_shape}})
    LETHE_CHECK(mlp_width(width, cfg.mlp_ratio) == hidden,
                "OpenCLIP config '{}' says mlp_ratio = {} but tensor '{}' of '{}' has shape {} "
                "(ratio {})",
                config_source, cfg.mlp_ratio, tensor, weights_source, shape,
                static_cast<double>(hidden) / static_cast<double>(width));
}

TensorMap normalize_openclip_weights(TensorMap weights) {
  for (const char* ignored_key : {"input_resolution", "context_length", "vocab_size", "attn_mask"})
    weights.erase(ignored_key);
  for (auto& [name, t] : weights)
    if (t.is_floating_point() && t.scalar_type() != torch::kFloat) t = t.to(torch::kFloat);
  return weights;
}

nlohmann::json openclip_model_cfg(const ClipConfig& c) {
  json vision = {{"image_size", c.image_size},   {"layers", c.vision_layers},
                 {"width", c.vision_width},      {"head_width", c.vision_width / c.vision_heads},
                 {"mlp_ratio", c.mlp_ratio},     {"patch_size", c.patch_size}};
  json text = {{"context_length", c.context_length}, {"vocab_size", c.vocab_size},
               {"width", c.text_width},              {"heads", c.text_heads},
               {"layers", c.text_layers},            {"mlp_ratio", c.mlp_ratio}};
  return {{"embed_dim", c.embed_dim},
          {"quick_gelu", c.activation == "quick_gelu"},
          {"vision_cfg", vision},
          {"text_cfg", text}};
}

}  // namespace lethe::models
