#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/train/evaluate.hpp"
#include "tandem/train/hessian.hpp"
#include "tandem/train/threads.hpp"

namespace tandem::cli {

int hessian_command(const std::vector<std::string>& args, dist::Comm& comm) {
  std::string path, data, split, method;
  train::HessianOptions o;
  int threads = 0;
  po::options_description desc(
      "tandem hessian [options]\n\n"
      "The top eigenvalues of the Hessian of the mean loss over the first --samples rows of a split,\n"
      "with respect to all parameters of a saved model: Lanczos (or power iteration) on Hessian-vector\n"
      "products computed by central differences of backpropagated gradients. The samples are split\n"
      "across the ranks and the gradients reduced.\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("checkpoint", po::value(&path)->required(), "model file (final.h5, best.h5) or checkpoint")
    ("data", po::value(&data)->required(), "HDF5 dataset")
    ("split", po::value(&split)->default_value("train"), "split to take the samples from")
    ("samples", po::value(&o.samples)->default_value(1000), "first rows of the split (0: all)")
    ("top", po::value(&o.top)->default_value(3), "eigenvalues to report")
    ("iterations", po::value(&o.iterations)->default_value(30), "Lanczos steps (power: iterations per eigenvalue)")
    ("method", po::value(&method)->default_value("lanczos"), enum_help(train::EigenMethod{}).c_str())
    ("fd-step", number(&o.fd_step, 1e-3), "finite-difference step of the products, relative to the RMS parameter")
    ("seed", po::value(&o.seed)->default_value(0), "random start vector")
    ("batch", po::value(&o.chunk)->default_value(256), "rows per forward pass")
    ("threads", po::value(&threads)->default_value(0), "BLAS threads per rank (0: the node's cores / its ranks)");
  // clang-format on
  auto p = parse("hessian", desc, args, true);
  if (p.help) return print_help(desc, comm);
  o.method = parse_enum<train::EigenMethod>(method, "--method");
  train::configure_threads(threads, comm);
  auto m = io::load_model(path);
  auto d = data::Dataset::load(data, split, o.samples);
  train::check_compatible(*m, d, "'" + data + "' /" + split);
  const auto r = train::hessian_eigenvalues(*m, d, o, comm);
  if (!comm.is_root()) return 0;
  std::printf("%s on %s /%s: %lld samples over %d rank(s), mean loss %.6f, %lld parameters\n", path.c_str(),
              data.c_str(), split.c_str(), static_cast<long long>(d.size()), comm.size(), r.loss,
              static_cast<long long>(m->graph.param_count()));
  std::printf("Hessian-vector products: %s; %lld products, %s\n", r.product_method.c_str(),
              static_cast<long long>(r.products),
              o.method == train::EigenMethod::kLanczos ? "Lanczos" : "power iteration");
  std::printf("%4s %16s %14s\n", "rank", "eigenvalue", "residual");
  for (size_t i = 0; i < r.eigenvalues.size(); ++i)
    std::printf("%4zu %16.8g %14.3e\n", i + 1, r.eigenvalues[i], r.residuals[i]);
  return 0;
}

}  // namespace tandem::cli
