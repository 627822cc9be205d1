#pragma once
// Test support: finite-difference and JVP-vs-VJP checks of an op or a whole graph.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tandem/graph/graph.hpp"

namespace tandem::testing {

enum class InputKind {
  kNormal,        // standard normal
  kAwayFromZero,  // |x| >= 0.1: no kink of ReLU within the finite-difference step
  kDistinct,      // well-separated values: no near-ties for max pooling
};

struct CheckOptions {
  int64_t batch = 3;
  bool training = true;
  InputKind inputs = InputKind::kNormal;
  double step = 1e-2;     // finite-difference step
  double rel_tol = 1e-2;  // per-coordinate: |fd - bp| <= rel_tol * max(|fd|, |bp|) + abs_tol
  double abs_tol = 2e-3;
  int coords = 40;  // coordinates checked per tensor (randomly chosen)
  uint64_t seed = 1;
};

struct CheckResult {
  double worst_fd_error = 0;  // worst |fd - bp| - allowed (<= 0 passes)
  std::string worst_where;
  double vjp_dot = 0, jvp_dot = 0;  // <J^T u, v> and <u, J v>
  int checked = 0;
};

// Fills parameters and inputs, then for L = <u, output> compares backprop gradients with
// central differences (inputs and parameters), and <u, J v> (jvp) with <J^T u, v> (vjp).
// The graph must be finalized; it is planned here.
CheckResult check_graph(graph::Graph& g, const CheckOptions& opt);

// A graph of one op reading inputs of the given per-sample shapes.
std::unique_ptr<graph::Graph> single_op_graph(std::unique_ptr<graph::Op> op,
                                              const std::vector<Shape>& inputs);

}  // namespace tandem::testing
