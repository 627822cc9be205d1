// Every op a model spec can name: one line each (name, aliases, summary with per-sample
// shapes, arguments, factory). To add an op, write its header and source in this directory
// and add its line here (README "Extending tandem").
#include "tandem/ops/registry.hpp"

#include "tandem/ops/activations.hpp"
#include "tandem/ops/batch_norm.hpp"
#include "tandem/ops/conv.hpp"
#include "tandem/ops/dense.hpp"
#include "tandem/ops/dropout.hpp"
#include "tandem/ops/merge.hpp"
#include "tandem/ops/pool.hpp"
#include "tandem/ops/rbf.hpp"

namespace tandem::ops {

const Registry<OpInfo>& op_registry() {
  // A table: one registration per entry, formatted by hand.
  // clang-format off
  static const Registry<OpInfo> registry("op", "ops", {
      {"dense", {}, "fully connected: `[in]` → `[UNITS]`, weight `[UNITS, in]`",
       "`UNITS` `bias=true init=he_normal bias_init=zeros`", make_dense},
      {"conv2d", {}, "2-D convolution: `[C, H, W]` → `[F, (H+2p−k)/s+1, (W+2p−k)/s+1]`",
       "`FILTERS` `kernel=3 stride=1 pad=0 bias=true init=he_normal bias_init=zeros`", make_conv2d},
      {"maxpool", {}, "max over K×K windows: `[C, H, W]` → `[C, (H−K)/s+1, (W−K)/s+1]`", "`K` `stride=K`",
       make_maxpool},
      {"avgpool", {}, "mean over K×K windows: `[C, H, W]` → `[C, (H−K)/s+1, (W−K)/s+1]`", "`K` `stride=K`",
       make_avgpool},
      {"flatten", {}, "`[...]` → `[numel]`", "", make_flatten},
      {"relu", {}, "max(x, 0)", "", make_relu},
      {"sigmoid", {}, "1/(1 + e^−x)", "", make_sigmoid},
      {"tanh", {}, "tanh(x)", "", make_tanh},
      {"leaky_relu", {}, "x > 0 ? x : slope·x", "`SLOPE` (`slope=0.01`)", make_leaky_relu},
      {"prelu", {}, "x > 0 ? x : a·x with learned slopes a (no weight decay)",
       "`slopes=channel` (one per channel or feature) or `shared`, `init=0.25`", make_prelu},
      {"maxout", {}, "`[K·m, ...]` → `[m, ...]`: maximum of each group of K consecutive features or channels",
       "`K`", make_maxout},
      {"elu", {}, "x > 0 ? x : α(eˣ − 1)", "`ALPHA` (`alpha=1`)", make_elu},
      {"gelu", {}, "x·Φ(x), Φ the standard normal CDF (exact erf form)", "", make_gelu},
      {"softplus", {}, "log(1 + eˣ), computed stably", "", make_softplus},
      {"scaled_tanh", {}, "1.7159·tanh(2x/3) (LeCun)", "", make_scaled_tanh},
      {"tanh_linear", {}, "tanh(x) + b·x (keeps a gradient when saturated)", "`B` (`b=0.1`)", make_tanh_linear},
      {"softmax", {}, "softmax over one axis of a sample; `axis=0` of `[C, H, W]` is per pixel over channels",
       "`axis=-1` (negative: from the end)", make_softmax},
      {"rbf", {}, "`[in]` → `[UNITS]`: exp(−‖x − c_m‖²/(2σ_m²)), learned centres and widths (no weight decay)",
       "`UNITS` `width=1 init=normal` (centres)", make_rbf},
      {"dropout", {}, "inverted dropout in training, identity in evaluation", "`RATE` (`rate=0.5`)",
       make_dropout},
      {"batchnorm", {}, "batch normalization over features `[F]` or channels `[C, H, W]`, synchronized across ranks",
       "`momentum=0.1 eps=1e-5`", make_batchnorm},
      {"add", {}, "sum of inputs of equal shape (residual connections)", "`A B ...` (input nodes)", make_add, true},
      {"mul", {}, "elementwise product of two inputs of equal shape", "`A B` (input nodes)", make_mul, true},
      {"concat", {}, "concatenation along the first axis (features or channels)", "`A B ...` (input nodes)",
       make_concat, true},
  });
  // clang-format on
  return registry;
}

}  // namespace tandem::ops
