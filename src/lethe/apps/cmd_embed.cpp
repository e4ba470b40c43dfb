// lethe embed --model SPEC [--merges FILE] [--openclip-config FILE] [--images FILE...]
//             [--image-list FILE] [--texts FILE] --out OUT.safetensors
// (CONTRACT.md "Bringing models in and out"; interop/embed_files.h)
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/core/log.h"
#include "lethe/interop/embed_files.h"

namespace lethe::app {

void add_embed_command(CLI::App& app, Action* action) {
  struct Opts {
    interop::ModelSource source;
    std::vector<std::string> images;
    std::string image_list, texts, out, precision = "fp32";
    int threads = 0;
    int64_t batch = 64;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("embed", "embed images and captions with a CLIP into a safetensors file");
  cmd->add_option("--model", o->source.spec,
                  "a Lethe checkpoint, a run folder (its final model), or openclip:FILE / "
                  "openclip:DIR (OpenCLIP weights)")
      ->required();
  cmd->add_option("--merges", o->source.merges,
                  "openclip: CLIP merges file, bpe_simple_vocab_16e6.txt[.gz] (default: beside the weights)");
  cmd->add_option("--openclip-config", o->source.openclip_config,
                  "openclip: OpenCLIP model-config JSON or open_clip_config.json (default: beside "
                  "the weights, else inferred from the tensors)");
  cmd->add_option("--images", o->images, "image files (PNG or JPEG)");
  cmd->add_option("--image-list", o->image_list, "a file with one image path per line");
  cmd->add_option("--texts", o->texts, "a UTF-8 file with one caption per line");
  cmd->add_option("--out", o->out, "output: image_embeds (N,D) and text_embeds (M,D), float32, unit-norm")
      ->required();
  cmd->add_option("--batch", o->batch, "images or captions encoded at once")->check(CLI::PositiveNumber);
  cmd->add_option("--threads", o->threads, "intra-op threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--precision", o->precision, "fp32 (default: matches PyTorch) | bf16 | auto")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}));
  cmd->callback([o, action] {
    *action = [o] {
      interop::EmbedRequest req{o->images, {}, o->batch};
      if (!o->image_list.empty())
        for (auto& p : interop::read_image_list(o->image_list)) req.images.push_back(std::move(p));
      if (!o->texts.empty()) req.texts = interop::read_caption_lines(o->texts);
      ContextConfig cc;
      cc.threads = o->threads;
      cc.precision = o->precision;
      const Context ctx(cc);
      auto model = interop::load_model(o->source);
      log::info("embedding {} images and {} captions with {}", req.images.size(), req.texts.size(),
                model.description);
      const auto e = interop::embed(model, req, ctx);
      interop::write_embeddings(o->out, e, model.description);
      log::info("wrote {}", o->out);
    };
  });
}

}  // namespace lethe::app
