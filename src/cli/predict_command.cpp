#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/train/evaluate.hpp"
#include "tandem/train/predict.hpp"
#include "tandem/train/threads.hpp"

namespace tandem::cli {

int predict_command(const std::vector<std::string>& args, dist::Comm& comm) {
  std::string checkpoint, data, split, out;
  int64_t batch = 0, limit = 0;
  int threads = 0;
  po::options_description desc(
      "tandem predict [options]\n\nWrites class probabilities and predicted labels of a saved model for "
      "every sample of a dataset split:\n  OUT:/probabilities [N, classes] float32, /predicted [N] int32, "
      "/labels [N] int32 (the split's own labels)\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("config", po::value<std::string>(), "INI file with any of these options")
    ("checkpoint", po::value(&checkpoint)->required(), "model file (final.h5, best.h5) or checkpoint")
    ("data", po::value(&data)->required(), "HDF5 dataset")
    ("split", po::value(&split)->default_value("test"), "split to predict: train | test | val")
    ("out", po::value(&out)->required(), "HDF5 file to write (replaced atomically)")
    ("batch", po::value(&batch)->default_value(1000), "rows per forward pass")
    ("limit", po::value(&limit)->default_value(0), "use only the first N samples")
    ("threads", po::value(&threads)->default_value(0), "BLAS threads per rank (0: the node's cores / its ranks)");
  // clang-format on
  auto p = parse("predict", desc, args, true);
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
  const int64_t n = d.size(), k = m->outputs();
  const auto share = train::rank_share(n, comm);
  const auto mine = train::predict_share(*m, d, share, batch);
  // Every rank fills its rows of a zeroed array; the sum is the whole array on every rank.
  std::vector<float> probs(static_cast<size_t>(n * k), 0.0f);
  std::copy(mine.begin(), mine.end(), probs.begin() + share.begin * k);
  comm.allreduce_sum(probs.data(), static_cast<int64_t>(probs.size()));
  if (!comm.is_root()) return 0;
  const auto predicted = train::combine({probs}, k, train::EnsembleRule::kMean);
  io::write_atomically(out, [&](io::H5File& f) {
    f.write("/probabilities", {n, k}, probs.data());
    f.write("/predicted", {n}, predicted.data());
    f.write("/labels", {n}, d.labels().data());
    f.set_attr("/", "checkpoint", checkpoint);
    f.set_attr("/", "data", data);
    f.set_attr("/", "split", split);
  });
  std::printf("wrote %s: probabilities and predicted labels of %lld samples (%lld classes)\n", out.c_str(),
              static_cast<long long>(n), static_cast<long long>(k));
  return 0;
}

}  // namespace tandem::cli
