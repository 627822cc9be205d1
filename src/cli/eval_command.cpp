#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/json.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/train/evaluate.hpp"
#include "tandem/train/threads.hpp"

namespace tandem::cli {

int eval_command(const std::vector<std::string>& args, dist::Comm& comm) {
  std::string checkpoint, data, split;
  int64_t batch = 0, limit = 0;
  int threads = 0;
  bool json = false;
  po::options_description desc(
      "tandem eval [options]\n\nEvaluates a saved model on a split of a dataset, "
      "exactly under any number of ranks.\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("config", po::value<std::string>(), "INI file with any of these options")
    ("checkpoint", po::value(&checkpoint)->required(), "model file (final.h5) or checkpoint")
    ("data", po::value(&data)->required(), "HDF5 dataset")
    ("split", po::value(&split)->default_value("test"), "split to evaluate: train | test | val")
    ("batch", po::value(&batch)->default_value(1000), "rows per forward pass")
    ("limit", po::value(&limit)->default_value(0), "use only the first N samples")
    ("threads", po::value(&threads)->default_value(0), "BLAS threads per rank (0: the node's cores / its ranks)")
    ("json", po::bool_switch(&json), "print one JSON object");
  // clang-format on
  auto p = parse("eval", desc, args, true);
  if (p.help) {
    if (comm.is_root()) std::cout << desc << "\n";
    return 0;
  }
  TANDEM_USAGE_CHECK(batch > 0, "--batch must be positive, got ", batch);
  train::configure_threads(threads, comm);
  model::BuildOptions build;
  build.bn_comm = &comm;
  auto m = io::load_model(checkpoint, build);
  auto d = data::Dataset::load(data, split, limit);
  train::check_compatible(*m, d, "'" + data + "' /" + split);
  m->graph.plan(batch);
  const auto e = train::evaluate(*m, d, comm, batch);
  if (comm.is_root()) {
    if (json) {
      JsonObject o;
      o.add("checkpoint", checkpoint).add("data", data).add("split", split);
      o.add("samples", e.samples).add("loss", e.loss).add("accuracy", e.accuracy);
      std::cout << o.str() << std::endl;
    } else {
      std::printf("%s on %s /%s: %lld samples  loss %.4f  accuracy %.4f\n", checkpoint.c_str(), data.c_str(),
                  split.c_str(), static_cast<long long>(e.samples), e.loss, e.accuracy);
    }
  }
  return 0;
}

}  // namespace tandem::cli
