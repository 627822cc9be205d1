// tandem gradcheck's engine: small errors on a correct model, large ones where a backward is
// deliberately wrong.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "tandem/core/rng.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/ops/activations.hpp"
#include "tandem/ops/dense.hpp"
#include "tandem/train/gradcheck.hpp"

namespace tandem {
namespace {

// y = x forward, but backward claims dy/dx = 1.5.
class WrongBackward final : public graph::Op {
 public:
  std::string type() const override { return "wrong"; }
  Shape infer(const std::vector<Shape>& in) override { return in[0]; }
  void forward(graph::OpArgs& a) override {
    for (int64_t i = 0; i < a.out.numel(); ++i) a.out.data()[i] = a.in[0].data()[i];
  }
  void backward(graph::OpArgs& a) override {
    for (int64_t i = 0; i < a.out.numel(); ++i)
      graph::store_grad(a.in_grad[0].data()[i], 1.5f * a.out_grad.data()[i], a.accumulate[0]);
  }
  void jvp(graph::OpArgs& a) override {
    for (int64_t i = 0; i < a.out.numel(); ++i) a.out_tangent.data()[i] = a.in_tangent[0].data()[i];
  }
};

data::Dataset small_dataset() {
  const auto path =
      std::filesystem::temp_directory_path() / ("tandem_gc_" + std::to_string(::getpid()) + ".h5");
  std::vector<float> x(8 * 12);
  std::vector<int32_t> y(8);
  Philox rng(1, RngPurpose::kInit);
  for (auto& v : x) v = rng.uniform();
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int32_t>(i % 3);
  {
    io::H5File f(path.string(), io::H5File::Mode::kCreate);
    f.write("/train/x", {8, 12}, x.data());
    f.write("/train/y", {8}, y.data());
  }
  auto d = data::Dataset::load(path.string(), "train");
  std::filesystem::remove(path);
  return d;
}

std::unique_ptr<model::Model> mlp(bool broken) {
  auto m = std::make_unique<model::Model>();
  auto& g = m->graph;
  const graph::InitSpec init{"xavier_normal", 0, 1, 1}, zero{"zeros", 0, 1, 1};
  const int x = g.add_input("x", Shape{12});
  m->inputs.push_back({"x", x});
  int h = g.add_node("dense_1", std::make_unique<ops::Dense>(8, true, init, zero), {x});
  h = g.add_node("tanh", std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kTanh), {h});
  if (broken) h = g.add_node("wrong", std::make_unique<WrongBackward>(), {h});
  model::Head head;
  head.name = head.target = "dense_2";
  head.node = g.add_node("dense_2", std::make_unique<ops::Dense>(3, true, init, zero), {h});
  head.loss = ops::make_loss("softmax_cross_entropy");
  m->heads.push_back(std::move(head));
  g.finalize();
  model::initialize(g, 3);
  return m;
}

TEST(Gradcheck, SmallErrorsOnACorrectModelLargeOnesBelowAWrongBackward) {
  const auto d = small_dataset();
  train::GradcheckOptions o;
  o.samples = 8;
  auto good = mlp(false);
  for (const auto& c : train::gradient_check(*good, d, o)) {
    EXPECT_EQ(c.checked, 3);
    EXPECT_LT(c.worst_relative, 1e-2) << c.name << ": " << c.backprop << " vs " << c.finite_difference;
  }
  auto bad = mlp(true);
  for (const auto& c : train::gradient_check(*bad, d, o)) {
    if (c.name.rfind("dense_1", 0) == 0)
      EXPECT_GT(c.worst_relative, 0.2) << c.name << " sits below the wrong backward";
    else
      EXPECT_LT(c.worst_relative, 1e-2) << c.name << " sits above it";
  }
}

}  // namespace
}  // namespace tandem
