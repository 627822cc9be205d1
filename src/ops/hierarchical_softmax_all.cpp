// The hierarchical softmax over all classes (evaluation, predict, full-batch methods): one GEMM
// for the logits of every internal node, then passes over the tree in its top-down numbering.
#include "sigmoid_math.hpp"
#include "tandem/ops/hierarchical_softmax.hpp"
#include "tandem/tensor/blas.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

using blas::Trans;

// [batch, D] x [C − 1, D]^T + b -> [batch, C − 1]
void HierarchicalSoftmax::node_logits(const graph::OpArgs& a, float* z) const {
  const int64_t nodes = tree_.internal_nodes(), d = features_;
  kernels::broadcast_rows(a.params[1].data(), z, a.batch, nodes);
  blas::gemm(Trans::kNo, Trans::kYes, a.batch, nodes, d, 1.0f, a.in[0].data(), d, a.params[0].data(), d, 1.0f,
             z, nodes);
}

// Top down: a child's log-probability is its parent's plus log σ(±z_parent).
void HierarchicalSoftmax::forward_all(graph::OpArgs& a) {
  const int64_t classes = tree_.classes(), nodes = tree_.internal_nodes();
  float* z = a.scratch.data();
  float* node_log_p = z + 2 * a.batch * nodes;
  node_logits(a, z);
  for (int64_t r = 0; r < a.batch; ++r) {
    const float* zr = z + r * nodes;
    float* out = a.out.data() + r * classes;
    node_log_p[0] = 0;
    for (int64_t n = 0; n < nodes; ++n)
      for (int side = 0; side < 2; ++side) {
        const auto v = static_cast<float>(node_log_p[n] + log_sigmoid(side == 0 ? zr[n] : -zr[n]));
        const int32_t c = tree_.child(n, side);
        (c >= 0 ? node_log_p[c] : out[-1 - c]) = v;
      }
  }
}

// Bottom up: with G_left, G_right the sums of out_grad over the leaves under each child,
// dz_n = G_left σ(−z_n) − G_right σ(z_n); then dW += dz^T x, db += Σ dz, dx (+)= dz W.
void HierarchicalSoftmax::backward_all(graph::OpArgs& a) {
  const int64_t classes = tree_.classes(), nodes = tree_.internal_nodes(), d = features_;
  float* dz = a.scratch.data();  // holds z until each entry is replaced by its gradient
  float* below = dz + 2 * a.batch * nodes;
  node_logits(a, dz);
  for (int64_t r = 0; r < a.batch; ++r) {
    const float* g = a.out_grad.data() + r * classes;
    float* zr = dz + r * nodes;
    for (int64_t n = nodes - 1; n >= 0; --n) {
      float sums[2];
      for (int side = 0; side < 2; ++side) {
        const int32_t c = tree_.child(n, side);
        sums[side] = c >= 0 ? below[c] : g[-1 - c];
      }
      below[n] = sums[0] + sums[1];
      const float s = sigmoid(zr[n]);
      zr[n] = sums[0] * (1.0f - s) - sums[1] * s;
    }
  }
  if (float* dw = graph::grad_or_null(a.param_grad[0]))  // null: frozen
    blas::gemm(Trans::kYes, Trans::kNo, nodes, d, a.batch, 1.0f, dz, nodes, a.in[0].data(), d, 1.0f, dw, d);
  if (float* db = graph::grad_or_null(a.param_grad[1])) kernels::sum_rows(dz, db, a.batch, nodes);
  if (!a.in_grad[0].empty())
    blas::gemm(Trans::kNo, Trans::kNo, a.batch, d, nodes, 1.0f, dz, nodes, a.params[0].data(), d,
               a.accumulate[0] ? 1.0f : 0.0f, a.in_grad[0].data(), d);
}

// dz = dx W^T + x dW^T + db; then top down: a child's tangent is its parent's plus
// σ(−z) dz (left) or −σ(z) dz (right).
void HierarchicalSoftmax::jvp_all(graph::OpArgs& a) {
  const int64_t classes = tree_.classes(), nodes = tree_.internal_nodes(), d = features_;
  float* z = a.scratch.data();
  float* dz = z + a.batch * nodes;
  float* node_t = dz + a.batch * nodes;
  node_logits(a, z);
  const bool has_db = a.param_tangent.size() > 1 && !a.param_tangent[1].empty();
  if (has_db)
    kernels::broadcast_rows(a.param_tangent[1].data(), dz, a.batch, nodes);
  else
    kernels::fill(dz, a.batch * nodes, 0.0f);
  if (!a.in_tangent.empty() && !a.in_tangent[0].empty())
    blas::gemm(Trans::kNo, Trans::kYes, a.batch, nodes, d, 1.0f, a.in_tangent[0].data(), d,
               a.params[0].data(), d, 1.0f, dz, nodes);
  if (!a.param_tangent.empty() && !a.param_tangent[0].empty())
    blas::gemm(Trans::kNo, Trans::kYes, a.batch, nodes, d, 1.0f, a.in[0].data(), d, a.param_tangent[0].data(),
               d, 1.0f, dz, nodes);
  for (int64_t r = 0; r < a.batch; ++r) {
    const float *zr = z + r * nodes, *dzr = dz + r * nodes;
    float* out = a.out_tangent.data() + r * classes;
    node_t[0] = 0;
    for (int64_t n = 0; n < nodes; ++n) {
      const float s = sigmoid(zr[n]);
      const float v[2] = {node_t[n] + (1.0f - s) * dzr[n], node_t[n] - s * dzr[n]};
      for (int side = 0; side < 2; ++side) {
        const int32_t c = tree_.child(n, side);
        (c >= 0 ? node_t[c] : out[-1 - c]) = v[side];
      }
    }
  }
}

}  // namespace tandem::ops
