#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/data/idx.hpp"
#include "tandem/data/pairs.hpp"

namespace tandem::cli {

int convert_command(const std::vector<std::string>& args, dist::Comm& comm) {
  std::string format, dir, out, classes, from;
  uint64_t seed = 0;
  int64_t limit = 0;
  data::IdxSources src;
  po::options_description desc(
      "tandem convert idx [options]\n  converts IDX files (MNIST, Fashion-MNIST) to the tandem HDF5 dataset "
      "layout.\ntandem convert pairs --from D.h5 --out P.h5 [--seed S] [--limit N]\n  pairs the images of an "
      "image dataset: inputs x/left, x/right; targets y/left, y/right\n  (classes) and y/present "
      "(multi-label): the multi-input, multi-label example (datasets/README.md).\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("format", po::value(&format)->default_value("idx"), "what to convert: idx | pairs")
    ("dir", po::value(&dir), "directory with the four standard IDX files (.gz or not)")
    ("train-images", po::value(&src.train_images), "training images (instead of --dir)")
    ("train-labels", po::value(&src.train_labels), "training labels")
    ("test-images", po::value(&src.test_images), "test images")
    ("test-labels", po::value(&src.test_labels), "test labels")
    ("classes", po::value(&classes), "comma-separated class names")
    ("from", po::value(&from), "pairs: the tandem image dataset to pair")
    ("seed", po::value(&seed)->default_value(1), "pairs: which partner each image gets")
    ("limit", po::value(&limit)->default_value(0), "pairs: the first N samples of each split (0: all)")
    ("out", po::value(&out)->required(), "output HDF5 file");
  // clang-format on
  po::positional_options_description pos;
  pos.add("format", 1);
  auto p = parse("convert", desc, args, false, &pos);
  if (p.help) {
    if (comm.is_root()) std::cout << desc << "\n";
    return 0;
  }
  TANDEM_USAGE_CHECK(format == "idx" || format == "pairs", "unknown input format '", format,
                     "'; known: idx, pairs");
  if (format == "pairs") {
    TANDEM_USAGE_CHECK(!from.empty(),
                       "convert pairs needs --from DATASET.h5 (an image dataset with class labels)");
    if (comm.is_root()) {
      data::make_pairs(from, out, seed, limit);
      log::infof("wrote ", out);
    }
    comm.barrier();
    return 0;
  }
  if (!dir.empty()) {
    const auto given = src;
    src = data::idx_sources_in(dir);
    if (!given.train_images.empty()) src.train_images = given.train_images;
  }
  TANDEM_USAGE_CHECK(!src.train_images.empty() && !src.train_labels.empty() && !src.test_images.empty() &&
                         !src.test_labels.empty(),
                     "give --dir, or all of --train-images --train-labels --test-images --test-labels");
  if (src.source.empty()) src.source = src.train_images;
  if (!classes.empty()) src.classes = split(classes, ",");
  if (comm.is_root()) {
    data::convert_idx(src, out);
    log::infof("wrote ", out);
  }
  comm.barrier();
  return 0;
}

}  // namespace tandem::cli
