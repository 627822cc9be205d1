#pragma once
// The planned oneDNN primitives of one ConvKernel at one batch size, with the layouts and
// reorders between tandem's NCHW tensors and the layouts the primitives chose.
#include <optional>

#include "dnn_context.hpp"
#include "tandem/tensor/conv_kernel.hpp"

namespace tandem::dnn {

struct ConvKernel::Plan {
  using Tag = dnnl::memory::format_tag;
  // activations: Tag::any (oneDNN's blocked layouts) or Tag::nchw (its GEMM-based kernels).
  // Inputs, weights and dy are in g.precision; outputs, gradients and the caller's tensors fp32.
  Plan(const ConvGeometry& g, int64_t n, Tag activations);
  bool uses_reference_code() const;

  dnnl::convolution_forward::primitive_desc fwd_pd;
  dnnl::convolution_forward::primitive_desc fwd_relu_pd;          // the same with a ReLU post-op (g.relu)
  dnnl::convolution_backward_weights::primitive_desc weights_pd;  // x in the forward's layout
  dnnl::convolution_backward_data::primitive_desc data_pd;        // dy as backward-weights has it
  Layouts x, w, y;                                                // forward
  Layouts dy;                                                     // backward-weights (x as in forward)
  Layouts w_data, dy_data, dx;                                    // backward-data, in the layouts it chose
  bool dy_shared = false;  // backward-data reads dy staged for backward-weights
  dnnl::memory bias, diff_weights, diff_bias, pad;
  Args fwd_args, data_args, data_staged_args, weights_args;
  dnnl::primitive fwd, data, weights;
  dnnl::primitive fwd_train;  // what forward() runs: fwd, or with g.relu the ReLU-fused one
  std::optional<Reorder> x_in, w_in, y_out, dy_in, w_data_in, dy_data_in;
  Reorder dx_out, dx_out_add, y_out_add, dw_out_add;
  int64_t pad_floats;
};

}  // namespace tandem::dnn
