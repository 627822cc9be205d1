// The INI configuration reader of `tandem train --config FILE` (cli::parse with Boost's
// config-file parser) and the option table it feeds (train::resolve_options, train::validate):
// any file is a configuration or a UsageError naming the option.
#include "fuzz_support.hpp"
#include "options.hpp"
#include "tandem/train/config.hpp"
#include "tandem/train/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace po = boost::program_options;
  const tandem::fuzz::ScratchFile ini(data, size, ".ini");
  // Built once, as `tandem train` builds it once per run.
  static const po::options_description desc = [] {
    po::options_description d("tandem train");
    d.add_options()("help,h", "show this help")("config", po::value<std::string>(), "INI file");
    tandem::cli::add_train_options(d);
    return d;
  }();
  tandem::train::ResolvedOptions resolved;
  const bool accepted = tandem::fuzz::expect_clear_errors([&] {
    const auto parsed = tandem::cli::parse("train", desc, {"--config", ini.path()}, true);
    auto given = tandem::cli::given_train_options(parsed.vm);
    given.erase("resume");  // a checkpoint path: the checkpoint target reads checkpoints
    resolved = tandem::train::resolve_options(given);
    tandem::train::validate(resolved.config, 1);
  });
  if (!accepted) return 0;
  // What a run stores in its checkpoints and compares across ranks reads back as the same.
  const auto texts = tandem::train::option_texts(resolved.config);
  tandem::train::TrainConfig again;
  try {
    tandem::train::apply_options(again, texts);
  } catch (const tandem::Error& e) {
    tandem::fuzz::require(false, "stored option texts are refused: " + std::string(e.what()));
  }
  tandem::fuzz::require(tandem::train::option_texts(again) == texts, "stored option texts do not read back");
  return 0;
}
