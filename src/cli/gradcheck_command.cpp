#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/model/model.hpp"
#include "tandem/train/evaluate.hpp"
#include "tandem/train/gradcheck.hpp"
#include "tandem/train/threads.hpp"

namespace tandem::cli {
namespace {

// The values of tandem gradcheck's options.
struct GradcheckArgs {
  std::string model_path, data, split;
  train::GradcheckOptions o;
  double threshold = 0, jitter = 0;
};

// The option table, bound to the fields of `a` (which must outlive it).
po::options_description gradcheck_description(GradcheckArgs& a) {
  po::options_description desc(
      "tandem gradcheck [options]\n\n"
      "Checks backpropagation on a real model and data. For every parameter tensor, the gradient of\n"
      "the mean loss over a few samples along a few unit directions (the gradient itself, then mixes\n"
      "with random directions) is compared with central finite differences along the same directions;\n"
      "a step that straddles a ReLU or max-pool kink is shrunk. Prints the worst relative error per\n"
      "tensor and exits 1 when one exceeds --threshold. Runs on one rank.\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("model", po::value(&a.model_path)->required(), "model-spec file")
    ("data", po::value(&a.data)->required(), "HDF5 dataset")
    ("split", po::value(&a.split)->default_value("train"), "split to take the samples from")
    ("samples", po::value(&a.o.samples)->default_value(4), "samples in the batch")
    ("directions", po::value(&a.o.directions)->default_value(3), "directions per parameter tensor: the gradient itself, then gradient + random mixes")
    ("step", number(&a.o.step, 1e-3), "finite-difference step h along a unit direction")
    ("jitter", number(&a.jitter, 0.05),
     "noise added to constant-initialized parameters (biases) to leave exact ReLU kinks")
    ("threshold", number(&a.threshold, 5e-2),
     "largest acceptable relative error (float32 finite differences on ReLU nets reach ~1e-2)")
    ("seed", po::value(&a.o.seed)->default_value(0), "initialization and random directions");
  // clang-format on
  return desc;
}

// Constant-initialized parameters (zero biases) put every background pixel of a ReLU exactly
// on its kink, where backprop and finite differences legitimately disagree; a little noise
// moves the check to a differentiable point.
void jitter_constant_parameters(model::Model& m, uint64_t seed, double jitter) {
  Philox rng(seed, RngPurpose::kInit, 0x6a17);
  const auto& refs = m.graph.param_refs();
  for (size_t r = 0; r < refs.size(); ++r) {
    if (!model::initializer_registry().get(refs[r].spec.init.scheme).constant) continue;
    auto t = m.graph.param(static_cast<int>(r));
    for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] += static_cast<float>(jitter * rng.normal());
  }
}

// Prints one line per tensor and the worst; throws (exit code 1) when it exceeds the threshold.
void report_checks(const std::vector<train::TensorCheck>& checks, double threshold) {
  std::printf("%-24s %10s %6s %14s %14s %14s\n", "parameter", "directions", "kinks", "worst rel err",
              "backprop g.v", "finite diff");
  double worst = 0;
  std::string worst_name;
  for (const auto& c : checks) {
    std::printf("%-24s %10lld %6lld %14.3e %14.6e %14.6e\n", c.name.c_str(),
                static_cast<long long>(c.checked), static_cast<long long>(c.kinks), c.worst_relative,
                c.backprop, c.finite_difference);
    if (c.worst_relative > worst) {
      worst = c.worst_relative;
      worst_name = c.name;
    }
  }
  std::printf("worst relative error %.3e (%s); threshold %.1e\n", worst, worst_name.c_str(), threshold);
  TANDEM_CHECK(worst <= threshold, "gradient check failed: ", worst_name, " has relative error ", worst,
               " > --threshold ", threshold,
               " (a ReLU or max-pool kink crossed by the step can cause an isolated outlier: "
               "try another --seed or a smaller --step)");
}

}  // namespace

int gradcheck_command(const std::vector<std::string>& args, dist::Comm& comm) {
  GradcheckArgs a;
  const auto desc = gradcheck_description(a);
  auto p = parse("gradcheck", desc, args, false);
  if (p.help) return print_help(desc, comm);
  const auto& o = a.o;
  TANDEM_USAGE_CHECK(o.samples > 0 && o.directions > 0 && o.step > 0,
                     "--samples, --directions and --step must be positive");
  if (!comm.is_root()) return 0;
  train::configure_threads(1, comm);
  auto m = model::build_model(model::load_spec_file(a.model_path), {});
  model::initialize(m->graph, o.seed);
  jitter_constant_parameters(*m, o.seed, a.jitter);
  auto d = data::Dataset::load(a.data, a.split, o.samples);
  train::check_compatible(*m, d, "'" + a.data + "' /" + a.split);
  report_checks(train::gradient_check(*m, d, o), a.threshold);
  return 0;
}

}  // namespace tandem::cli
