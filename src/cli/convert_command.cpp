#include <iostream>
#include <map>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/data/class_subset.hpp"
#include "tandem/data/csv_import.hpp"
#include "tandem/data/idx.hpp"
#include "tandem/data/npy.hpp"
#include "tandem/data/pairs.hpp"
#include "tandem/data/shards.hpp"
#include "tandem/data/synthetic.hpp"

namespace tandem::cli {
namespace {

// The values of tandem convert's options.
struct ConvertArgs {
  std::string format, dir, out, classes, from, file, keep;
  uint64_t seed = 0;
  int64_t limit = 0, shards = 0;
  data::IdxSources src;
  data::CsvOptions csv;
  data::NpyOptions npy;
  data::SyntheticOptions synthetic;
  double test_fraction = 0;
};

// The option table, bound to the fields of `a` (which must outlive it).
po::options_description convert_description(ConvertArgs& a) {
  po::options_description desc(
      "tandem convert idx [options]\n  converts IDX files (MNIST, Fashion-MNIST) to the tandem HDF5 dataset "
      "layout.\ntandem convert pairs --from D.h5 --out P.h5 [--seed S] [--limit N]\n  pairs the images of an "
      "image dataset: inputs x/left, x/right; targets y/left, y/right\n  (classes) and y/present "
      "(multi-label): the multi-input, multi-label example (datasets/README.md).\ntandem convert csv FILE "
      "--out "
      "D.h5 --label-column NAME [--header] (--test-fraction F | --split-column NAME)\n  numeric feature "
      "columns; labels as integers or names (the names become the classes).\ntandem convert npy --x X.npy "
      "--y "
      "Y.npy [--test-x X.npy --test-y Y.npy | --test-fraction F] --out D.h5\n  any numeric dtype and sample "
      "shape; y: class indices [N] or float targets [N, K].\ntandem convert shards --from D.h5 --shards S "
      "--out "
      "PREFIX\n  splits a dataset into PREFIX-0.h5 ... (contiguous arrays, the layout to stream from);\n  "
      "train "
      "on them with --data 'PREFIX-*.h5'.\ntandem convert classes --from D.h5 --keep 0,1,2 --out SUB.h5\n  "
      "keeps "
      "the rows of some classes (indices or names), relabelled 0..K-1 in the order given.\ntandem convert "
      "synthetic --classes C --features D --train-per-class N --test-per-class M [--noise S] [--zipf S] "
      "--out "
      "D.h5\n  a learnable many-class dataset: class prototypes plus Gaussian noise (datasets/README.md)."
      "\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("format", po::value(&a.format)->default_value("idx"), "what to convert: idx | pairs | csv | npy | shards | classes | synthetic")
    ("dir", po::value(&a.dir), "directory with the four standard IDX files (.gz or not)")
    ("train-images", po::value(&a.src.train_images), "training images (instead of --dir)")
    ("train-labels", po::value(&a.src.train_labels), "training labels")
    ("test-images", po::value(&a.src.test_images), "test images")
    ("test-labels", po::value(&a.src.test_labels), "test labels")
    ("classes", po::value(&a.classes), "comma-separated class names; synthetic: the number of classes")
    ("from", po::value(&a.from), "pairs: the tandem image dataset to pair; shards: the dataset to split; "
     "classes: the dataset to take classes from")
    ("keep", po::value(&a.keep), "classes: the classes kept, indices or names, comma-separated, in their new order")
    ("shards", po::value(&a.shards)->default_value(0), "shards: how many files to write")
    ("file", po::value(&a.file), "csv: the CSV file (or the second positional argument)")
    ("label-column", po::value(&a.csv.label_column), "csv: the label column, by header name or 0-based number")
    ("header", po::bool_switch(&a.csv.header), "csv: the first line names the columns")
    ("split-column", po::value(&a.csv.split_column), "csv: a column of train / test / val per row")
    ("test-fraction", po::value(&a.test_fraction)->default_value(0),
     "csv, npy: hold out this stratified fraction of the rows as the test split")
    ("x", po::value(&a.npy.x), "npy: training samples [N, ...]")
    ("y", po::value(&a.npy.y), "npy: training targets: class indices [N] or floats [N, K]")
    ("test-x", po::value(&a.npy.test_x), "npy: test samples")
    ("test-y", po::value(&a.npy.test_y), "npy: test targets")
    ("features", po::value(&a.synthetic.features)->default_value(0), "synthetic: the length of a sample")
    ("train-per-class", po::value(&a.synthetic.train_per_class)->default_value(0),
     "synthetic: training samples per class (with --zipf, on average)")
    ("test-per-class", po::value(&a.synthetic.test_per_class)->default_value(0), "synthetic: test samples per class")
    ("noise", po::value(&a.synthetic.noise)->default_value(1.0),
     "synthetic: standard deviation of the noise around each class prototype (standard normal)")
    ("zipf", po::value(&a.synthetic.zipf)->default_value(0),
     "synthetic: training class counts proportional to 1/(c+1)^S (0: the same for every class)")
    ("seed", po::value(&a.seed)->default_value(1),
     "pairs: which partner each image gets; csv, npy: which rows --test-fraction holds out; synthetic: "
     "the prototypes, noise and row order")
    ("limit", po::value(&a.limit)->default_value(0), "pairs: the first N samples of each split (0: all)")
    ("out", po::value(&a.out)->required(), "output HDF5 file (shards: the files' prefix)");
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

// tandem convert shards: rank 0 writes, every rank waits for it.
int convert_shards(ConvertArgs& a, dist::Comm& comm) {
  TANDEM_USAGE_CHECK(!a.from.empty() && a.shards > 0,
                     "convert shards needs --from DATASET.h5 and --shards S (the number of files)");
  if (comm.is_root()) {
    const auto paths = data::write_shards(a.from, a.shards, a.out);
    log::infof("wrote ", paths.size(), " shards, ", paths.front(), " .. ", paths.back(),
               "; train on them with --data '", a.out, "-*.h5'");
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

// Rank 0 writes a converted table; every rank waits for it.
int write_converted(const data::Table& t, const std::string& out, dist::Comm& comm) {
  if (comm.is_root()) {
    data::write_table(t, out);
    int64_t rows = 0;
    for (const auto& [name, split] : t.splits) rows += split.rows;
    log::infof("wrote ", out, ": ", rows, " rows, ",
               t.classes.empty() ? "vector targets" : std::to_string(t.classes.size()) + " classes");
  }
  comm.barrier();
  return 0;
}

// tandem convert csv FILE: rank 0 reads and writes.
int convert_csv(ConvertArgs& a, dist::Comm& comm) {
  TANDEM_USAGE_CHECK(!a.file.empty(),
                     "convert csv needs the CSV file: tandem convert csv FILE --out D.h5 ...");
  a.csv.test_fraction = a.test_fraction;
  a.csv.seed = a.seed;
  data::Table t;
  if (comm.is_root()) t = data::read_csv(a.file, a.csv);
  return write_converted(t, a.out, comm);
}

// tandem convert npy --x X.npy --y Y.npy ...: rank 0 reads and writes.
int convert_npy(ConvertArgs& a, dist::Comm& comm) {
  a.npy.test_fraction = a.test_fraction;
  a.npy.seed = a.seed;
  data::Table t;
  if (comm.is_root()) t = data::npy_table(a.npy);
  return write_converted(t, a.out, comm);
}

// tandem convert classes: rank 0 writes, every rank waits for it.
int convert_classes(ConvertArgs& a, dist::Comm& comm) {
  TANDEM_USAGE_CHECK(!a.from.empty() && !a.keep.empty(),
                     "convert classes needs --from DATASET.h5 and --keep CLASSES (e.g. --keep 0,1,2,3,4)");
  if (comm.is_root()) log::infof("wrote ", a.out, ": ", data::write_class_subset(a.from, a.keep, a.out));
  comm.barrier();
  return 0;
}

// tandem convert synthetic: rank 0 generates and writes.
int convert_synthetic(ConvertArgs& a, dist::Comm& comm) {
  TANDEM_USAGE_CHECK(!a.classes.empty(), "convert synthetic needs --classes C (the number of classes)");
  a.synthetic.classes = parse_int(a.classes, "--classes");
  a.synthetic.seed = a.seed;
  data::check_synthetic(a.synthetic);  // on every rank, so that a bad value is a usage error everywhere
  data::Table t;
  if (comm.is_root()) t = data::synthetic_table(a.synthetic);
  return write_converted(t, a.out, comm);
}

// The input formats, by name: one line each.
using ConvertFn = int (*)(ConvertArgs&, dist::Comm&);
const std::map<std::string, ConvertFn> kFormats = {{"idx", convert_idx},
                                                   {"pairs", convert_pairs},
                                                   {"csv", convert_csv},
                                                   {"npy", convert_npy},
                                                   {"shards", convert_shards},
                                                   {"classes", convert_classes},
                                                   {"synthetic", convert_synthetic}};

}  // namespace

int convert_command(const std::vector<std::string>& args, dist::Comm& comm) {
  ConvertArgs a;
  const auto desc = convert_description(a);
  po::positional_options_description pos;
  pos.add("format", 1);
  pos.add("file", 1);
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
