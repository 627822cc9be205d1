#include "tandem/train/epoch_record.hpp"

#include <cstdio>

#include "tandem/core/error.hpp"
#include "tandem/core/json.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::train {

std::string EpochRecord::json() const {
  JsonObject o;
  o.add("epoch", epoch)
      .add("step", step)
      .add("batch", batch)
      .add("train_loss", train_loss)
      .add("train_accuracy", train_accuracy);
  if (val) o.add("val_loss", val->loss).add("val_accuracy", val->accuracy);
  o.add("test_loss", test_loss).add("test_accuracy", test_accuracy);
  for (const auto& [head, loss] : test_head_loss) o.add("test_loss_" + head, loss);
  o.add("lr", lr);
  if (grad_norm) o.add("grad_norm", *grad_norm).add("clipped", clipped.value_or(0.0));
  if (nonfinite) o.add("skipped_steps", nonfinite->skipped).add("rollbacks", nonfinite->rollbacks);
  if (noise) o.add("gns", noise->b_simple).add("gns_g2", noise->g2).add("gns_trace", noise->trace);
  o.add("seconds", seconds).add("samples_per_s", samples_per_s).add("grad_wait_s", grad_wait_s);
  return o.str();
}

std::string EpochRecord::summary(int64_t epochs) const {
  std::string s = "epoch " + std::to_string(epoch) + "/" + std::to_string(epochs) + "  train_loss " +
                  fixed(train_loss, 4) + "  train_acc " + fixed(train_accuracy, 4);
  if (val) s += "  val_loss " + fixed(val->loss, 4) + "  val_acc " + fixed(val->accuracy, 4);
  char lr_text[32];
  std::snprintf(lr_text, sizeof lr_text, "%g", lr);
  return s + "  test_loss " + fixed(test_loss, 4) + "  test_acc " + fixed(test_accuracy, 4) + "  lr " +
         lr_text + "  " + fixed(seconds, 2) + "s  " + fixed(samples_per_s, 0) + " samples/s  grad wait " +
         fixed(100.0 * grad_wait_s / seconds, 1) + "%";
}

double metric_value(const EpochRecord& r, Metric metric) {
  const bool needs_val = metric == Metric::kValLoss || metric == Metric::kValAccuracy;
  TANDEM_USAGE_CHECK(!needs_val || r.val, "--monitor ", enum_name(metric),
                     " needs a validation set: add --val-split F");
  switch (metric) {
    case Metric::kValLoss: return r.val->loss;
    case Metric::kValAccuracy: return r.val->accuracy;
    case Metric::kTrainLoss: return r.train_loss;
    case Metric::kTrainAccuracy: return r.train_accuracy;
    case Metric::kTestLoss: return r.test_loss;
    case Metric::kTestAccuracy: return r.test_accuracy;
    case Metric::kAuto: break;
  }
  throw Error("metric_value: resolve --monitor auto first");
}

}  // namespace tandem::train
