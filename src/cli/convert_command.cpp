#include <iostream>
#include <map>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/data/idx.hpp"
#include "tandem/data/pairs.hpp"

namespace tandem::cli {
namespace {

// The values of tandem convert's options.
struct ConvertArgs {
  std::string format, dir, out, classes, from;
  uint64_t seed = 0;
  int64_t limit = 0;
  data::IdxSources src;
};

// The option table, bound to the fields of `a` (which must outlive it).
po::options_description convert_description(ConvertArgs& a) {
  po::options_description desc(
      "tandem convert idx [options]\n  converts IDX files (MNIST, Fashion-MNIST) to the tandem HDF5 dataset "
      "layout.\ntandem convert pairs --from D.h5 --out P.h5 [--seed S] [--limit N]\n  pairs the images of an "
      "image dataset: inputs x/left, x/right; targets y/left, y/right\n  (classes) and y/present "
      "(multi-label): the multi-input, multi-label example (datasets/README.md).\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("format", po::value(&a.format)->default_value("idx"), "what to convert: idx | pairs")
    ("dir", po::value(&a.dir), "directory with the four standard IDX files (.gz or not)")
    ("train-images", po::value(&a.src.train_images), "training images (instead of --dir)")
    ("train-labels", po::value(&a.src.train_labels), "training labels")
    ("test-images", po::value(&a.src.test_images), "test images")
    ("test-labels", po::value(&a.src.test_labels), "test labels")
    ("classes", po::value(&a.classes), "comma-separated class names")
    ("from", po::value(&a.from), "pairs: the tandem image dataset to pair")
    ("seed", po::value(&a.seed)->default_value(1), "pairs: which partner each image gets")
    ("limit", po::value(&a.limit)->default_value(0), "pairs: the first N samples of each split (0: all)")
    ("out", po::value(&a.out)->required(), "output HDF5 file");
  // clang-format on
  return desc;
}

// tandem convert pairs: rank 0 writes, every rank waits for it.
int convert_pairs(ConvertArgs& a, dist::Comm& comm) {
  TANDEM_USAGE_CHECK(!a.from.empty(),
                     "convert pairs needs --from DATASET.h5 (an image dataset with class labels)");
  if (comm.is_root()) {
    data::make_pairs(a.from, a.out, a.seed, a.limit);
    log::infof("wrote ", a.out);
  }
  comm.barrier();
  return 0;
}

// tandem convert idx: the four files from --dir (a --train-images given with it wins) or one
// by one; rank 0 writes, every rank waits for it.
int convert_idx(ConvertArgs& a, dist::Comm& comm) {
  auto& src = a.src;
  if (!a.dir.empty()) {
    const auto given = src;
    src = data::idx_sources_in(a.dir);
    if (!given.train_images.empty()) src.train_images = given.train_images;
  }
  TANDEM_USAGE_CHECK(!src.train_images.empty() && !src.train_labels.empty() && !src.test_images.empty() &&
                         !src.test_labels.empty(),
                     "give --dir, or all of --train-images --train-labels --test-images --test-labels");
  if (src.source.empty()) src.source = src.train_images;
  if (!a.classes.empty()) src.classes = split(a.classes, ",");
  if (comm.is_root()) {
    data::convert_idx(src, a.out);
    log::infof("wrote ", a.out);
  }
  comm.barrier();
  return 0;
}

// The input formats, by name: one line each.
using ConvertFn = int (*)(ConvertArgs&, dist::Comm&);
const std::map<std::string, ConvertFn> kFormats = {{"idx", convert_idx}, {"pairs", convert_pairs}};

}  // namespace

int convert_command(const std::vector<std::string>& args, dist::Comm& comm) {
  ConvertArgs a;
  const auto desc = convert_description(a);
  po::positional_options_description pos;
  pos.add("format", 1);
  auto p = parse("convert", desc, args, false, &pos);
  if (p.help) return print_help(desc, comm);
  const auto format = kFormats.find(a.format);
  if (format == kFormats.end()) {
    std::vector<std::string> known;
    for (const auto& [name, fn] : kFormats) known.push_back(name);
    throw UsageError("unknown input format '" + a.format + "'; known: " + join(known, ", "));
  }
  return format->second(a, comm);
}

}  // namespace tandem::cli
