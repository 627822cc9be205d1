#pragma once
// The op interface. An op maps per-sample input shapes to a per-sample output shape, declares
// its parameters and state, and implements forward, backward (VJP) and jvp (forward mode).
// Tensors passed to an op carry the batch dimension first: [batch, ...].
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tandem/tensor/shape.hpp"
#include "tandem/tensor/tensor.hpp"

namespace tandem::graph {

// How a parameter is initialized; the model module implements the schemes.
struct InitSpec {
  std::string scheme;  // "he_normal", "xavier_uniform", "zeros", "constant", ...
  double value = 0.0;  // for "constant"
  int64_t fan_in = 1;
  int64_t fan_out = 1;
};

struct ParamSpec {
  std::string name;  // "weight", "bias", ...
  Shape shape;
  InitSpec init;
  bool decay = true;  // subject to weight decay by default
};

// Non-trainable state saved with the model (batch-norm running statistics).
struct StateSpec {
  std::string name;
  Shape shape;
  float initial = 0.0f;
};

// What every op of one pass shares.
struct RunInfo {
  bool training = true;
  bool dropout = true;  // false: dropout is the identity even in training (--overfit-batches)
  uint64_t seed = 0;
  uint32_t epoch = 0;
  // Global dataset index of each sample of the batch, [batch]; keys per-sample randomness.
  const int64_t* sample_ids = nullptr;
  // By node id: the class of each sample [batch] for the output nodes of losses on class
  // indices, or null (training passes set it; ops that can use it, such as the hierarchical
  // softmax, then compute each sample's own class only).
  const int32_t* const* labels = nullptr;
};

struct OpArgs {
  int64_t batch = 0;
  int node_id = 0;
  const RunInfo* run = nullptr;
  std::vector<Tensor> in;      // [batch, ...] each
  Tensor out;                  // [batch, ...]
  std::vector<Tensor> params;  // per-op shapes
  std::vector<Tensor> state;
  Tensor workspace;  // kept from forward to backward, this node only
  Tensor scratch;    // shared by all nodes, valid within one call
  // backward: in_grad[i] is empty when input i needs no gradient. When accumulate[i] is
  // false the op overwrites in_grad[i], otherwise adds to it. Param grads always accumulate;
  // param_grad[i] is empty when the node is frozen (Graph::set_frozen): compute none.
  Tensor out_grad;
  std::vector<Tensor> in_grad;
  std::vector<bool> accumulate;
  std::vector<Tensor> param_grad;
  // backward, may be null: an op writing a large parameter gradient in pieces calls it after
  // each piece with the end of what is final (gradient communication can start on it).
  const std::function<void(const float* end)>* piece_done = nullptr;
  // jvp: tangents of inputs and parameters (empty means zero) -> tangent of the output.
  std::vector<Tensor> in_tangent;
  std::vector<Tensor> param_tangent;
  Tensor out_tangent;
};

// An elementwise op that the op producing its input can apply as it writes its output (a
// fused epilogue: one pass over the activations less, and their pre-activation copy unused).
enum class Epilogue { kNone, kRelu };

// How an activation [batch, C, H, W] lies in memory: plain NCHW, or oneDNN's nChw16c (blocks
// of 16 channels innermost; only for C a multiple of 16, so no padding and the same size).
// Chains of ops that take the blocked layout (convolution, pooling, elementwise activations)
// pass it along without the reorders to and from NCHW around every convolution.
enum class Layout { kPlain, kBlocked16 };

class Op {
 public:
  virtual ~Op() = default;
  virtual std::string type() const = 0;
  // Number of inputs; -1 for any number >= 2.
  virtual int arity() const { return 1; }
  // Capabilities the trainer asks about instead of comparing type names.
  // Random in training (dropout): the loss of a batch is not a fixed function of the weights.
  virtual bool stochastic_in_training() const { return false; }
  // Training output depends on the other samples of the batch (batch norm).
  virtual bool uses_batch_statistics() const { return false; }
  // What this op can be folded into its producer as (kNone: it cannot).
  virtual Epilogue foldable_as() const { return Epilogue::kNone; }
  // Asked once, at Graph::finalize: apply `e` to the output as forward writes it. An op that
  // accepts must not read its own output in backward or jvp (it then holds the epilogue's
  // result), and its jvp stays that of the op alone (the folded op's jvp follows it).
  virtual bool fuse_epilogue(Epilogue /*e*/) { return false; }
  // Layouts (asked at Graph::finalize). Whether input 0 may be blocked; whether the output may
  // be blocked given the input's layout; whether the output must have the input's layout
  // (elementwise ops; the only kind of op of several inputs that may take blocked ones, all
  // then alike). set_layouts tells the op what was chosen (input 0's layout, the output's).
  virtual bool accepts_blocked_input() const { return false; }
  virtual bool can_output_blocked(bool /*input_blocked*/) const { return false; }
  virtual bool output_follows_input() const { return false; }
  virtual void set_layouts(Layout /*in*/, Layout /*out*/) {}
  // Per-sample output shape. Throws UsageError naming the mismatch.
  virtual Shape infer(const std::vector<Shape>& in) = 0;
  // Valid after infer().
  virtual std::vector<ParamSpec> params() const { return {}; }
  // What gives the parameters' rows their meaning beyond their shapes (a class tree's node
  // order), as text; "" when the shapes say it all. --init-from copies only between equals.
  virtual std::string param_layout() const { return ""; }
  virtual std::vector<StateSpec> state() const { return {}; }
  virtual int64_t workspace_floats(int64_t /*batch*/) const { return 0; }
  virtual int64_t scratch_floats(int64_t /*batch*/) const { return 0; }
  virtual void forward(OpArgs& a) = 0;
  virtual void backward(OpArgs& a) = 0;
  virtual void jvp(OpArgs& a) = 0;
};

// A gradient tensor's storage, or null when it is not wanted (an empty in_grad or param_grad).
inline float* grad_or_null(const Tensor& t) {
  return t.empty() ? nullptr : t.data();
}

// dst = v or dst += v, the op's side of OpArgs::accumulate.
inline void store_grad(float& dst, float v, bool accumulate) {
  dst = accumulate ? dst + v : v;
}

}  // namespace tandem::graph
