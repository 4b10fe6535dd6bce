#include <cinttypes>
#include <cstdio>
#include <map>

#include "commands.h"
#include "convert/converter.h"
#include "model/model.h"

namespace tinylm::cli {

int InfoCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m"}, {"--no-verify"});
  if (!args.ok()) return Fail(args.status());
  std::string path;
  if (args->positional().size() == 1) {
    path = args->positional()[0];
  } else if (args->Get("-m")) {
    path = *args->Get("-m");
  } else {
    return Fail(Status::Error("usage: tinylm info MODEL.slm"));
  }
  ModelLoadOptions options;
  options.verify_checksum = !args->Has("--no-verify");
  if (IsAdapterFile(path)) return AdapterInfoCommand(path, options.verify_checksum);
  auto model = Model::Load(path, options);
  if (!model.ok()) return Fail(model.status());
  const Model& m = **model;
  const ModelConfig& c = m.config();
  const SlmFile& f = m.file();

  std::printf("file: %s\n", path.c_str());
  std::printf("format: .slm %u.%u, %" PRIu64 " bytes, data checksum %016" PRIx64 " (%s)\n",
              f.version_major(), f.version_minor(), f.file_size(), f.data_checksum(),
              options.verify_checksum ? "verified" : "not verified");
  std::printf("architecture: %s, %" PRIu64 " parameters\n", c.architecture.c_str(),
              m.parameter_count());
  std::printf(
      "block: dim %d, layers %d, heads %d, kv heads %d, head dim %d, ffn %d (%s), "
      "vocab %d, context %d\n",
      c.dim, c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, c.ffn_dim,
      std::string(FfnKindName(c.ffn)).c_str(), c.vocab_size, c.context_length);
  std::printf("       norm %s (eps %g), residual %s, positions %s",
              std::string(NormKindName(c.norm)).c_str(), c.norm_eps,
              std::string(ResidualKindName(c.residual)).c_str(),
              std::string(PositionKindName(c.positions)).c_str());
  if (c.positions == PositionKind::Rope) {
    std::printf(" (rope dim %d, theta %g)", c.rope_dim, c.rope_theta);
  }
  std::printf(", tied embeddings %s\n", c.tied_embeddings ? "yes" : "no");
  if (const Tokenizer* t = m.tokenizer()) {
    std::printf("tokenizer: %d pieces, bos %d, eos %d\n", t->size(), t->bos_id(), t->eos_id());
  } else {
    std::printf("tokenizer: none\n");
  }
  if (auto tmpl = f.metadata().GetString("tokenizer.chat_template"); tmpl.ok()) {
    std::printf("chat template: yes (%zu bytes)\n", tmpl->size());
  } else {
    std::printf("chat template: none\n");
  }

  std::map<TensorType, uint64_t> by_type;
  std::printf("\ntensors (%zu):\n", f.tensors().size());
  for (const auto& t : f.tensors()) {
    std::string shape = "[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      shape += (i ? ", " : "") + std::to_string(t.shape[i]);
    }
    shape += "]";
    std::printf("  %-28s %-5s %-16s %10" PRIu64 " bytes\n", t.name.c_str(),
                std::string(TensorTypeName(t.type)).c_str(), shape.c_str(), t.size);
    by_type[t.type] += t.size;
  }
  std::printf("\nbytes by type:");
  for (const auto& [type, bytes] : by_type) {
    std::printf(" %s %" PRIu64 ";", std::string(TensorTypeName(type)).c_str(), bytes);
  }
  std::printf("\nbrowser budget (%.1f MB): %s\n", kBrowserBudgetBytes / 1e6,
              f.file_size() <= kBrowserBudgetBytes ? "fits" : "does not fit");

  std::printf("\nmetadata:\n");
  for (const auto& [key, value] : f.metadata().Describe()) {
    std::printf("  %-34s %s\n", key.c_str(), value.c_str());
  }
  return 0;
}

}  // namespace tinylm::cli
