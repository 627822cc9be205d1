#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/json.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/train/evaluate.hpp"
#include "tandem/train/predict.hpp"
#include "tandem/train/threads.hpp"

namespace tandem::cli {
namespace {

std::string number_or_null(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string json_array(const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + number_or_null(v[i]);
  return s + "]";
}

std::string confusion_json(const train::ClassReport& r) {
  std::string s = "[";
  for (int64_t t = 0; t < r.classes; ++t) {
    s += t ? ", [" : "[";
    for (int64_t p = 0; p < r.classes; ++p)
      s += (p ? ", " : "") + std::to_string(r.confusion[t * r.classes + p]);
    s += "]";
  }
  return s + "]";
}

// Class c's name from the dataset, or its index when the dataset names none.
std::string class_name(const std::vector<std::string>& names, int64_t c) {
  return c < static_cast<int64_t>(names.size()) ? names[c] : std::to_string(c);
}

void print_report(const train::ClassReport& r, const std::vector<std::string>& names) {
  size_t width = 5;
  for (int64_t c = 0; c < r.classes; ++c) width = std::max(width, class_name(names, c).size());
  const int w = static_cast<int>(width);
  std::printf("\n%-*s  precision  recall  support\n", w, "class");
  for (int64_t c = 0; c < r.classes; ++c) {
    int64_t support = 0;
    for (int64_t p = 0; p < r.classes; ++p) support += r.confusion[c * r.classes + p];
    std::printf("%-*s  %9s  %6s  %7lld\n", w, class_name(names, c).c_str(),
                number_or_null(r.precision[c]).c_str(), number_or_null(r.recall[c]).c_str(),
                static_cast<long long>(support));
  }
  std::printf("\nconfusion matrix (rows: true class, columns: predicted class, by index)\n      ");
  for (int64_t p = 0; p < r.classes; ++p) std::printf("%6lld", static_cast<long long>(p));
  std::printf("\n");
  for (int64_t t = 0; t < r.classes; ++t) {
    std::printf("%6lld", static_cast<long long>(t));
    for (int64_t p = 0; p < r.classes; ++p)
      std::printf("%6lld", static_cast<long long>(r.confusion[t * r.classes + p]));
    std::printf("\n");
  }
}

// A CSV field, quoted when it holds a comma or a quote.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string q = "\"";
  for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_confusion_csv(const std::string& path, const train::ClassReport& r,
                         const std::vector<std::string>& names) {
  std::ofstream f(path, std::ios::trunc);
  TANDEM_USAGE_CHECK(f.good(), "cannot write --confusion-csv '", path, "'");
  f << "true\\predicted";
  for (int64_t p = 0; p < r.classes; ++p) f << "," << csv_field(class_name(names, p));
  f << "\n";
  for (int64_t t = 0; t < r.classes; ++t) {
    f << csv_field(class_name(names, t));
    for (int64_t p = 0; p < r.classes; ++p) f << "," << r.confusion[t * r.classes + p];
    f << "\n";
  }
}

void print_head_losses(const model::Model& m, const train::Evaluation& e) {
  std::printf("losses per output:");
  for (size_t h = 0; h < m.heads.size(); ++h)
    std::printf("  %s (%s, weight %g) %.6g", m.heads[h].name.c_str(), m.heads[h].loss->name().c_str(),
                m.heads[h].weight, e.head_loss[h]);
  std::printf("\n");
}

// A model whose first output has float targets: its loss, accuracy and per-output losses.
int report_loss_only(const std::string& path, const std::string& data, const std::string& split,
                     const model::Model& m, const train::Evaluation& e, bool json, const dist::Comm& comm) {
  if (!comm.is_root()) return 0;
  if (json) {
    JsonObject o;
    o.add("checkpoint", path).add("data", data).add("split", split).add("samples", e.samples);
    o.add_raw("loss", number_or_null(e.loss)).add("accuracy", e.accuracy);
    JsonObject heads;
    for (size_t h = 0; h < m.heads.size(); ++h)
      heads.add_raw(m.heads[h].name, number_or_null(e.head_loss[h]));
    o.add_raw("head_loss", heads.str());
    std::cout << o.str() << std::endl;
    return 0;
  }
  std::printf("%s on %s /%s: %lld samples  loss %s  accuracy %.4f (%s)\n", path.c_str(), data.c_str(),
              split.c_str(), static_cast<long long>(e.samples), number_or_null(e.loss).c_str(), e.accuracy,
              m.loss().probabilities() == ops::Probabilities::kSigmoid
                  ? "fraction of labels right, p > 0.5"
                  : "argmax of output = argmax of target");
  if (m.heads.size() > 1) print_head_losses(m, e);
  return 0;
}

// The values of tandem eval's options.
struct EvalArgs {
  std::vector<std::string> checkpoints;
  std::string data, split, ensemble, confusion_csv, precision;
  int64_t batch = 0, limit = 0;
  int threads = 0;
  bool json = false;
};

// The option table, bound to the fields of `a` (which must outlive it).
po::options_description eval_description(EvalArgs& a) {
  po::options_description desc(
      "tandem eval [options]\n\nEvaluates saved models on a split of a dataset, exactly under any "
      "number of ranks: loss, accuracy, per-class precision and recall, confusion matrix. Several\n"
      "--checkpoint options evaluate their ensemble.\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("config", po::value<std::string>(), "INI file with any of these options")
    ("checkpoint", po::value(&a.checkpoints)->required()->composing(),
     "model file (final.h5, best.h5) or checkpoint; repeat for an ensemble")
    ("ensemble", po::value(&a.ensemble)->default_value("mean"),
     "with several checkpoints: mean (average probabilities) | vote (majority of predicted classes)")
    ("data", po::value(&a.data)->required(), "HDF5 dataset")
    ("split", po::value(&a.split)->default_value("test"), "split to evaluate: train | test | val")
    ("batch", po::value(&a.batch)->default_value(1000), "rows per forward pass")
    ("precision", po::value(&a.precision)->default_value("fp32"),
     ("of the convolutions (the saved weights are fp32 either way): " + enum_help(Precision{})).c_str())
    ("limit", po::value(&a.limit)->default_value(0), "use only the first N samples")
    ("threads", po::value(&a.threads)->default_value(0), "BLAS threads per rank (0: the node's cores / its ranks)")
    ("confusion-csv", po::value(&a.confusion_csv), "also write the confusion matrix to this CSV file")
    ("json", po::bool_switch(&a.json), "print one JSON object");
  // clang-format on
  return desc;
}

// What the models of an ensemble (or the one model) give on this rank's share of the split.
struct MemberOutputs {
  std::vector<std::vector<float>> probs;  // per model, [share rows x classes]
  int64_t classes = 0;
  train::Evaluation single;  // with one checkpoint: the model's own loss
  bool softmax_models = true;
  int label_field = -1;
};

// Adds one class-index model to the ensemble: checks its classes against the first model's,
// evaluates it on its own when it is the only one, and keeps its probabilities.
void add_member(model::Model& m, const std::string& path, const EvalArgs& a, const data::Dataset& d,
                train::Share share, dist::Comm& comm, MemberOutputs& out) {
  TANDEM_USAGE_CHECK(out.classes == 0 || m.outputs() == out.classes, "'", path, "' has ", m.outputs(),
                     " outputs but the first model has ", out.classes,
                     "; an ensemble needs the same classes");
  out.classes = m.outputs();
  out.softmax_models = out.softmax_models && train::output_kind(m, 0) == ops::Probabilities::kSoftmax;
  m.graph.plan(a.batch);
  if (a.checkpoints.size() == 1) {
    out.single = train::evaluate(m, d, comm, a.batch);  // the model's own loss
    if (comm.is_root() && m.heads.size() > 1 && !a.json) print_head_losses(m, out.single);
  }
  out.probs.push_back(train::predict_share(m, d, share, a.batch));
}

// Rank 0 prints the class report (and writes the confusion CSV).
void print_class_report(const EvalArgs& a, const train::ClassReport& r,
                        const std::vector<std::string>& names) {
  if (!a.confusion_csv.empty()) write_confusion_csv(a.confusion_csv, r, names);
  const auto& checkpoints = a.checkpoints;
  std::string what = checkpoints[0];
  for (size_t i = 1; i < checkpoints.size(); ++i) what += " + " + checkpoints[i];
  if (checkpoints.size() > 1) what = "ensemble (" + a.ensemble + ") of " + what;
  if (a.json) {
    JsonObject o;
    o.add("checkpoint", what).add("data", a.data).add("split", a.split).add("samples", r.samples);
    o.add_raw("loss", number_or_null(r.loss)).add("accuracy", r.accuracy);
    o.add_raw("precision", json_array(r.precision)).add_raw("recall", json_array(r.recall));
    o.add_raw("confusion", confusion_json(r));
    if (!names.empty()) {
      std::string list = "[";
      for (size_t c = 0; c < names.size(); ++c) list += (c ? ", \"" : "\"") + json_escape(names[c]) + "\"";
      o.add_raw("classes", list + "]");
    }
    std::cout << o.str() << std::endl;
  } else {
    std::printf("%s on %s /%s: %lld samples  loss %s  accuracy %.4f\n", what.c_str(), a.data.c_str(),
                a.split.c_str(), static_cast<long long>(r.samples), number_or_null(r.loss).c_str(),
                r.accuracy);
    print_report(r, names);
  }
}

}  // namespace

int eval_command(const std::vector<std::string>& args, dist::Comm& comm) {
  EvalArgs a;
  const auto desc = eval_description(a);
  auto p = parse("eval", desc, args, true);
  if (p.help) return print_help(desc, comm);
  TANDEM_USAGE_CHECK(a.batch > 0, "--batch must be positive, got ", a.batch);
  const auto rule = train::parse_ensemble_rule(a.ensemble);
  const auto precision = parse_enum<Precision>(a.precision, "--precision");
  train::configure_threads(a.threads, comm);
  auto d = data::Dataset::load(a.data, a.split, a.limit);
  const auto share = train::rank_share(d.size(), comm);
  MemberOutputs members;
  for (const auto& path : a.checkpoints) {
    model::BuildOptions build;
    build.bn_comm = &comm;
    build.precision = precision;
    auto m = io::load_model(path, build);
    train::check_compatible(*m, d, "'" + a.data + "' /" + a.split);
    members.label_field = train::target_field(*m, d, 0);
    if (!d.targets()[members.label_field].is_labels()) {
      // Float targets (multi-label, regression): the model's loss and accuracy, no classes.
      TANDEM_USAGE_CHECK(a.checkpoints.size() == 1, "ensembles need class-index targets, but ",
                         d.where(d.targets()[members.label_field], false),
                         " holds float targets; evaluate one model");
      m->graph.plan(a.batch);
      return report_loss_only(path, a.data, a.split, *m, train::evaluate(*m, d, comm, a.batch), a.json, comm);
    }
    add_member(*m, path, a, d, share, comm, members);
  }
  // The class report over all ranks: a collective, before only rank 0 goes on to print it.
  const auto& all_labels = d.labels(members.label_field);
  const std::vector<int32_t> labels(all_labels.begin() + share.begin, all_labels.begin() + share.end);
  const auto predicted = train::combine(members.probs, members.classes, rule);
  const bool vote = a.checkpoints.size() > 1 && rule == train::EnsembleRule::kVote;
  auto r = train::class_report(predicted, labels, train::mean_probabilities(members.probs), members.classes,
                               members.softmax_models && !vote, comm);
  if (a.checkpoints.size() == 1) r.loss = members.single.loss;
  if (!comm.is_root()) return 0;
  // The dataset's class names, when they name this model's classes.
  const auto& names = d.class_names();
  print_class_report(
      a, r, static_cast<int64_t>(names.size()) == members.classes ? names : std::vector<std::string>{});
  return 0;
}

}  // namespace tandem::cli
