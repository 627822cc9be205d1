#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/train/data_feed.hpp"
#include "tandem/train/predict.hpp"
#include "tandem/train/threads.hpp"

namespace tandem::cli {
namespace {

// The values of tandem predict's options.
struct PredictArgs {
  std::string checkpoint, data, split, out;
  int64_t batch = 0, limit = 0;
  int threads = 0;
  bool per_sample_loss = false;
};

// The option table, bound to the fields of `a` (which must outlive it).
po::options_description predict_description(PredictArgs& a) {
  po::options_description desc(
      "tandem predict [options]\n\nWrites the predictions of a saved model for every sample of a dataset "
      "split:\n  OUT:/probabilities [N, classes] float32, /predicted [N] int32, /labels [N] int32 (the "
      "split's own labels).\nA multi-label (bce_logits) output writes per-label probabilities and "
      "/predicted [N, K] (p > 0.5)\nand /targets; an mse or l1 output writes /outputs. A model with several "
      "outputs writes\nthese datasets in one group per output node, /NODE/...\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("config", po::value<std::string>(), "INI file with any of these options")
    ("checkpoint", po::value(&a.checkpoint)->required(), "model file (final.h5, best.h5) or checkpoint")
    ("data", po::value(&a.data)->required(), "HDF5 dataset")
    ("split", po::value(&a.split)->default_value("test"), "split to predict: train | test | val")
    ("out", po::value(&a.out)->required(), "HDF5 file to write (replaced atomically)")
    ("batch", po::value(&a.batch)->default_value(1000), "rows per forward pass")
    ("limit", po::value(&a.limit)->default_value(0), "use only the first N samples")
    ("threads", po::value(&a.threads)->default_value(0), "BLAS threads per rank (0: the node's cores / its ranks)")
    ("per-sample-loss", po::bool_switch(&a.per_sample_loss),
     "also write /SPLIT/difficulty [N] float32, each sample's loss under the model: "
     "tandem train --curriculum ranks by it (--difficulty OUT)");
  // clang-format on
  return desc;
}

// Every head's outputs for all n rows, on every rank: each rank fills its rows of a zeroed
// array, and the sum is the whole array.
std::vector<std::vector<float>> predict_all(model::Model& m, const data::Dataset& d, int64_t batch,
                                            dist::Comm& comm, std::vector<float>* sample_loss) {
  const int64_t n = d.size();
  const auto share = train::rank_share(n, comm);
  auto heads = train::predict_heads(m, d, share, batch, sample_loss);
  if (sample_loss) {
    std::vector<float> all(static_cast<size_t>(n), 0.0f);
    std::copy(sample_loss->begin(), sample_loss->end(), all.begin() + share.begin);
    comm.allreduce_sum(all.data(), n);
    *sample_loss = std::move(all);
  }
  for (size_t h = 0; h < heads.size(); ++h) {
    const int64_t k = m.graph.node(m.heads[h].node).shape.numel();
    std::vector<float> all(static_cast<size_t>(n * k), 0.0f);
    std::copy(heads[h].begin(), heads[h].end(), all.begin() + share.begin * k);
    comm.allreduce_sum(all.data(), static_cast<int64_t>(all.size()));
    heads[h] = std::move(all);
  }
  return heads;
}

// One head's datasets under `at` ("" or "/NODE"): its probabilities or outputs, the predicted
// classes or labels, and the split's own labels or targets. outputs [n x k].
void write_head(io::H5File& f, const std::string& at, const model::Model& m, const data::Dataset& d, size_t h,
                const std::vector<float>& outputs) {
  const int64_t n = d.size();
  const int64_t k = m.graph.node(m.heads[h].node).shape.numel();
  const auto& field = d.targets()[train::target_field(m, d, h)];
  if (train::output_kind(m, h) == ops::Probabilities::kSigmoid) {
    // Multi-label: each label is on when its probability exceeds 1/2.
    std::vector<int32_t> on(outputs.size());
    for (size_t i = 0; i < on.size(); ++i) on[i] = outputs[i] > 0.5f ? 1 : 0;
    f.write(at + "/probabilities", {n, k}, outputs.data());
    f.write(at + "/predicted", {n, k}, on.data());
  } else {
    const auto predicted = train::combine({outputs}, k, train::EnsembleRule::kMean);
    f.write(at + (train::output_kind(m, h) == ops::Probabilities::kSoftmax ? "/probabilities" : "/outputs"),
            {n, k}, outputs.data());
    f.write(at + "/predicted", {n}, predicted.data());
  }
  if (field.is_labels())
    f.write(at + "/labels", {n}, field.i32.data());
  else
    f.write(at + "/targets", {n, k}, field.f32.data());
}

}  // namespace

int predict_command(const std::vector<std::string>& args, dist::Comm& comm) {
  PredictArgs a;
  const auto desc = predict_description(a);
  auto p = parse("predict", desc, args, true);
  if (p.help) return print_help(desc, comm);
  TANDEM_USAGE_CHECK(a.batch > 0, "--batch must be positive, got ", a.batch);
  train::configure_threads(a.threads, comm);
  model::BuildOptions build;
  build.bn_comm = &comm;
  auto m = io::load_model(a.checkpoint, build);
  auto d = data::Dataset::load(a.data, a.split, a.limit);
  train::check_compatible(*m, d, "'" + a.data + "' /" + a.split);
  m->graph.plan(a.batch);
  std::vector<float> sample_loss;
  const auto heads = predict_all(*m, d, a.batch, comm, a.per_sample_loss ? &sample_loss : nullptr);
  if (!comm.is_root()) return 0;
  io::write_atomically(a.out, [&](io::H5File& f) {
    for (size_t h = 0; h < heads.size(); ++h) {
      // One head: at the root, as always; several: one group per head, named after its node.
      const std::string at = heads.size() == 1 ? "" : "/" + m->heads[h].name;
      if (!at.empty()) f.create_group(at);
      write_head(f, at, *m, d, h, heads[h]);
    }
    if (a.per_sample_loss) {  // where train --difficulty reads it
      f.create_group("/" + a.split);
      f.write("/" + a.split + "/difficulty", {d.size()}, sample_loss.data());
    }
    f.set_attr("/", "checkpoint", a.checkpoint);
    f.set_attr("/", "data", a.data);
    f.set_attr("/", "split", a.split);
  });
  std::printf("wrote %s: predictions of %lld samples for %zu output(s)%s\n", a.out.c_str(),
              static_cast<long long>(d.size()), heads.size(),
              a.per_sample_loss ? (", per-sample losses in /" + a.split + "/difficulty").c_str() : "");
  return 0;
}

}  // namespace tandem::cli
