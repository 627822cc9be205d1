#include <gtest/gtest.h>

#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/model/builder.hpp"
#include "tandem/model/model.hpp"

namespace tandem {
namespace {

const char* kResidual = R"(# a residual block
x = input 1 8 8
c1 = conv2d 4 kernel=3 pad=1
r1 = relu
c2 = conv2d 1 kernel=3 pad=1 bias=false
sum = add x c2        # residual
flat = flatten
joined = concat flat flat2
)";

std::string error_of(const std::string& text) {
  try {
    model::build_model(model::parse_spec(text, "net.model"));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelSpec, ParsesSequentialModel) {
  auto m = model::build_model(
      model::parse_spec("input 1 28 28\nflatten\ndense 32\nrelu\ndense 10 init=xavier_uniform\n", "mlp"));
  EXPECT_EQ(m->input_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(m->outputs(), 10);
  EXPECT_EQ(m->graph.param_count(), 784 * 32 + 32 + 32 * 10 + 10);
  ASSERT_EQ(m->spec.losses.size(), 1u);
  EXPECT_EQ(m->spec.losses[0].name, "softmax_cross_entropy");
  EXPECT_EQ(m->spec.losses[0].node, "dense_2");
  EXPECT_EQ(m->loss().name(), "softmax_cross_entropy");
}

TEST(ModelSpec, ErrorsCarryLineNumbers) {
  EXPECT_NE(error_of("input 4\ndense 3\nfrobnicate 2\n").find("net.model:3: unknown op 'frobnicate'"),
            std::string::npos);
  EXPECT_NE(error_of(kResidual).find("net.model:8:"), std::string::npos) << error_of(kResidual);
  EXPECT_NE(error_of(kResidual).find("'flat2', which is not defined"), std::string::npos);
  EXPECT_NE(error_of("input 4\ndense units\n").find("net.model:2: dense argument 1: expected an integer"),
            std::string::npos);
  EXPECT_NE(error_of("input 4\ndense 3 widht=2\n").find("net.model:2: unknown option 'widht' for dense"),
            std::string::npos);
  EXPECT_NE(error_of("input 1 4 4\ndense 3\n").find("net.model:2:"), std::string::npos);
  EXPECT_NE(error_of("dense 3\n").find("net.model:1: 'dense' has no input"), std::string::npos);
  EXPECT_NE(error_of("input 4\ndense 3 init=magic\n").find("unknown initializer 'magic'"), std::string::npos);
  EXPECT_NE(error_of("a = input 4\na = dense 3\n").find("net.model:2: node name 'a' is used twice"),
            std::string::npos);
}

// Found by tests/fuzz/spec_fuzz (corpus/spec/regression-control-characters): a token holding a
// carriage return moved to the end of a line in the canonical text, was trimmed there, and the
// spec read back differently. Control characters other than tab are refused, with the column;
// a CRLF line end still reads.
TEST(ModelSpec, ControlCharactersAreRefusedWithTheirColumn) {
  EXPECT_NE(error_of(std::string("input 4\ndense 3 init=x\ry\n"))
                .find("net.model:2: control character 0x0d in column 15"),
            std::string::npos)
      << error_of(std::string("input 4\ndense 3 init=x\ry\n"));
  EXPECT_NE(error_of(std::string("input 4\n  dense\0 3\n", 20))
                .find("net.model:2: control character 0x00 in column 8"),
            std::string::npos);
  const auto crlf = model::parse_spec("input 4\r\ndense 3 # comment \x01 here\r\n", "crlf.model");
  ASSERT_EQ(crlf.nodes.size(), 2u);
  EXPECT_EQ(crlf.nodes[1].args, std::vector<std::string>{"3"});
  EXPECT_EQ(model::parse_spec(crlf.to_text(), "again.model").to_text(), crlf.to_text());
}

// Found by tests/fuzz/spec_fuzz (corpus/spec/regression-empty-in): 'in=,' split into no names,
// a node without inputs whose canonical text 'in=' did not parse back.
TEST(ModelSpec, InputListNamingNoNodeIsRefused) {
  EXPECT_NE(error_of("input 4\ndense 3 in=,\n").find("net.model:2: in=, names no node"), std::string::npos)
      << error_of("input 4\ndense 3 in=,\n");
}

TEST(ModelSpec, BuilderProducesTheSameGraphAsText) {
  model::ModelBuilder b;
  const auto x = b.input({1, 8, 8});
  b.conv2d(4, {{"kernel", "3"}, {"pad", "1"}});
  b.activation("relu");
  const auto c2 = b.conv2d(1, {{"kernel", "3"}, {"pad", "1"}, {"bias", "false"}});
  b.add({x, c2}, "sum");
  b.flatten();
  b.dense(10);
  const auto from_builder = model::build_model(b.spec());
  const auto text = b.spec().to_text();
  const auto from_text = model::build_model(model::parse_spec(text, "roundtrip"));
  ASSERT_EQ(from_builder->graph.node_count(), from_text->graph.node_count());
  for (int i = 0; i < from_text->graph.node_count(); ++i) {
    EXPECT_EQ(from_builder->graph.node(i).name, from_text->graph.node(i).name);
    EXPECT_EQ(from_builder->graph.node(i).shape, from_text->graph.node(i).shape);
    EXPECT_EQ(from_builder->graph.node(i).inputs, from_text->graph.node(i).inputs);
  }
  EXPECT_EQ(from_text->spec.to_text(), text);
  // Same seed, same parameters.
  model::initialize(from_builder->graph, 9);
  model::initialize(from_text->graph, 9);
  ASSERT_EQ(from_builder->graph.param_count(), from_text->graph.param_count());
  for (int64_t i = 0; i < from_text->graph.param_count(); ++i)
    ASSERT_EQ(from_builder->graph.params()[i], from_text->graph.params()[i]);
}

TEST(Initializers, MomentsMatchTheirDefinitions) {
  const int64_t fan_in = 400, fan_out = 200, n = 200000;
  std::vector<float> w(n);
  Tensor t(w.data(), Shape{n});
  auto moments = [&](const std::string& scheme) {
    model::init_tensor({scheme, 0, fan_in, fan_out}, t, 3, 0);
    double s = 0, s2 = 0, mx = 0;
    for (float v : w) {
      s += v;
      s2 += double{v} * v;
      mx = std::max(mx, std::abs(double{v}));
    }
    return std::array<double, 3>{s / n, s2 / n, mx};
  };
  auto he = moments("he_normal");
  EXPECT_NEAR(he[0], 0, 2e-3);
  EXPECT_NEAR(he[1], 2.0 / fan_in, 2.0 / fan_in * 0.02);
  auto xu = moments("xavier_uniform");
  const double limit = std::sqrt(6.0 / (fan_in + fan_out));
  EXPECT_NEAR(xu[1], 2.0 / (fan_in + fan_out), 2.0 / (fan_in + fan_out) * 0.02);
  EXPECT_LE(xu[2], limit);
  EXPECT_GT(xu[2], 0.99 * limit);
  auto xn = moments("xavier_normal");
  EXPECT_NEAR(xn[1], 2.0 / (fan_in + fan_out), 2.0 / (fan_in + fan_out) * 0.02);
  auto hu = moments("he_uniform");
  EXPECT_NEAR(hu[1], 2.0 / fan_in, 2.0 / fan_in * 0.02);
  EXPECT_LE(hu[2], std::sqrt(6.0 / fan_in));
  auto ln = moments("lecun_normal");
  EXPECT_NEAR(ln[1], 1.0 / fan_in, 1.0 / fan_in * 0.02);
  auto xs = moments("xavier_uniform_sigmoid");
  EXPECT_NEAR(xs[1], 32.0 / (fan_in + fan_out), 32.0 / (fan_in + fan_out) * 0.02);  // 16 x Xavier's
  model::init_tensor({"constant", 0.25, 1, 1}, t, 3, 0);
  EXPECT_EQ(w[123], 0.25f);
  model::init_tensor({"zeros", 0, 1, 1}, t, 3, 0);
  EXPECT_EQ(w[77], 0.0f);
}

// Orthogonal: W W^T = gain^2 I for a wide matrix, W^T W = gain^2 I for a tall one.
TEST(Initializers, OrthogonalRowsOrColumnsAreOrthonormal) {
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{8, 20}, {20, 8}, {12, 12}}) {
    std::vector<float> w(static_cast<size_t>(rows * cols));
    model::init_tensor({"orthogonal", 1.5, cols, rows}, Tensor(w.data(), Shape{rows, cols}), 7, 2);
    const bool wide = rows <= cols;
    const int64_t m = wide ? rows : cols, len = wide ? cols : rows;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < m; ++j) {
        double dot = 0;
        for (int64_t k = 0; k < len; ++k)
          dot += wide ? double{w[i * cols + k]} * w[j * cols + k] : double{w[k * cols + i]} * w[k * cols + j];
        EXPECT_NEAR(dot, i == j ? 2.25 : 0.0, 1e-5) << rows << "x" << cols << " (" << i << ", " << j << ")";
      }
  }
}

}  // namespace
}  // namespace tandem
