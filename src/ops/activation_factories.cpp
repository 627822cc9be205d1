// Spec factories of the activation ops (registered in registry.cpp).
#include "tandem/core/error.hpp"
#include "tandem/ops/activations.hpp"

namespace tandem::ops {
namespace {

using Scalar = ScalarActivation;

std::unique_ptr<graph::Op> scalar(Scalar::Kind kind, double constant) {
  return std::make_unique<Scalar>(kind, constant);
}

}  // namespace

std::unique_ptr<graph::Op> make_relu(SpecArgs&, const OpContext&) {
  return std::make_unique<Elementwise>(Elementwise::Kind::kRelu);
}
std::unique_ptr<graph::Op> make_sigmoid(SpecArgs&, const OpContext&) {
  return std::make_unique<Elementwise>(Elementwise::Kind::kSigmoid);
}
std::unique_ptr<graph::Op> make_tanh(SpecArgs&, const OpContext&) {
  return std::make_unique<Elementwise>(Elementwise::Kind::kTanh);
}
std::unique_ptr<graph::Op> make_leaky_relu(SpecArgs& a, const OpContext&) {
  return scalar(Scalar::Kind::kLeakyRelu, a.arg_number(0, "slope", 0.01));
}
std::unique_ptr<graph::Op> make_elu(SpecArgs& a, const OpContext&) {
  return scalar(Scalar::Kind::kElu, a.arg_number(0, "alpha", 1.0));
}
std::unique_ptr<graph::Op> make_gelu(SpecArgs&, const OpContext&) {
  return scalar(Scalar::Kind::kGelu, 0.0);
}
std::unique_ptr<graph::Op> make_softplus(SpecArgs&, const OpContext&) {
  return scalar(Scalar::Kind::kSoftplus, 0.0);
}
std::unique_ptr<graph::Op> make_scaled_tanh(SpecArgs&, const OpContext&) {
  return scalar(Scalar::Kind::kScaledTanh, 0.0);
}
std::unique_ptr<graph::Op> make_tanh_linear(SpecArgs& a, const OpContext&) {
  return scalar(Scalar::Kind::kTanhLinear, a.arg_number(0, "b", 0.1));
}
std::unique_ptr<graph::Op> make_prelu(SpecArgs& a, const OpContext&) {
  const std::string mode = a.text("slopes", "channel");
  TANDEM_USAGE_CHECK(mode == "channel" || mode == "shared", a.where(),
                     "prelu slopes must be 'channel' or 'shared', got '", mode, "'");
  return std::make_unique<PRelu>(mode == "channel", a.number("init", 0.25));
}
std::unique_ptr<graph::Op> make_maxout(SpecArgs& a, const OpContext&) {
  return std::make_unique<Maxout>(a.arg_int(0, "pieces", 0));
}
std::unique_ptr<graph::Op> make_softmax(SpecArgs& a, const OpContext&) {
  return std::make_unique<Softmax>(a.integer("axis", -1));
}
std::unique_ptr<graph::Op> make_flatten(SpecArgs&, const OpContext&) {
  return std::make_unique<Flatten>();
}

}  // namespace tandem::ops
