// Errors raised while a model is built carry the spec's file and line: an op's own argument
// checks (conv2d, maxpool, dropout, batchnorm), and a layer too large for the machine, which
// is refused with what it needs before anything is allocated. Sizes that overflow int64 are
// refused as well.
#include <gtest/gtest.h>

#include <string>

#include "tandem/core/error.hpp"
#include "tandem/core/memory.hpp"
#include "tandem/graph/graph.hpp"
#include "tandem/model/model.hpp"

namespace tandem {
namespace {

std::string build_error(const std::string& text) {
  try {
    model::build_model(model::parse_spec(text, "net.model"));
  } catch (const UsageError& e) {
    return "usage: " + std::string(e.what());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BuildErrors, OpArgumentErrorsCarryTheSpecLine) {
  const std::string cnn = "input 1 8 8\n";
  EXPECT_EQ(build_error(cnn + "conv2d 4 kernel=0\nflatten\ndense 2\n"),
            "usage: net.model:2: conv2d needs a positive kernel size, got 0");
  EXPECT_EQ(build_error(cnn + "conv2d 4 kernel=3\nmaxpool 2 stride=-1\nflatten\ndense 2\n"),
            "usage: net.model:3: pooling needs a positive stride, got -1");
  EXPECT_EQ(build_error("input 4\ndense 3\ndropout 1.5\ndense 2\n"),
            "usage: net.model:3: dropout rate must be in [0, 1), got 1.5");
  EXPECT_EQ(build_error("input 4\ndense 3\nbatchnorm eps=-1\ndense 2\n"),
            "usage: net.model:3: batchnorm eps must be positive, got -1");
  const std::string infer = build_error(cnn + "conv2d 4 kernel=9\nflatten\ndense 2\n");
  EXPECT_EQ(
      infer,
      "usage: net.model:2: node 'conv2d_1' (conv2d): kernel 9 is larger than the padded input [1, 8, 8]")
      << "shape errors of infer too";
}

TEST(BuildErrors, ALayerLargerThanTheMachineSaysWhatItNeeds) {
  const std::string e = build_error("input 1 28 28\nflatten\ndense 4000000000\ndense 10\n");
  // 4e9 x 784 weights + 4e9 biases, twice (gradients), 4 bytes each.
  const int64_t bytes = (int64_t{4000000000} * 784 + 4000000000) * 2 * 4;
  EXPECT_EQ(
      e.rfind("net.model:3: 'dense 4000000000' (dense_1: weight [4000000000, 784], bias [4000000000]): its "
              "parameters and their gradients need " +
                  format_bytes(static_cast<double>(bytes)) + ", but this machine has ",
              0),
      0u)
      << e;
  EXPECT_NE(e.find(" available (memory and swap); make the layer smaller"), std::string::npos) << e;
  EXPECT_EQ(format_bytes(static_cast<double>(bytes)), "22.8 TiB");
}

// Layers that fit one by one (half the available memory each) but not together: the model is
// refused as a whole, naming its largest parameter, before its arenas are allocated.
TEST(BuildErrors, AModelLargerThanTheMachineIsRefusedAsAWhole) {
  const int64_t units = available_memory_bytes() / 16 / 1000;  // 1000 x units floats: 1/4 of it
  const std::string e =
      build_error("input 1000\ndense " + std::to_string(units) + " bias=false\ndense 1000 " +
                  "bias=false\ndense " + std::to_string(units) + " bias=false\n");
  EXPECT_EQ(e.rfind("the model's " + std::to_string(3 * units * 1000) +
                        " parameters and their gradients (the largest, 'dense_3.weight' of dense, is [" +
                        std::to_string(units) + ", 1000]) need ",
                    0),
            0u)
      << e;
  EXPECT_NE(e.find(" available (memory and swap); make the model smaller"), std::string::npos) << e;
}

TEST(BuildErrors, SizesThatOverflowAreRefused) {
  const std::string e = build_error("input 4000000000\ndense 4000000000\ndense 2\n");
  EXPECT_EQ(e,
            "usage: net.model:2: a tensor shape holds more than 2^63 values (at extent 4000000000); make "
            "the model smaller");
  EXPECT_EQ(checked_product({int64_t{1} << 40, int64_t{1} << 30}), -1);
  EXPECT_EQ(checked_product({3, 5, 7}), 105);
  EXPECT_EQ(checked_sum({INT64_MAX, 1}), -1);
  EXPECT_EQ(checked_sum({-1, 5}), -1);
}

TEST(BuildErrors, ActivationsOfATooLargeBatchAreRefusedWithTheFix) {
  auto m = model::build_model(model::parse_spec("input 1000\ndense 1000\ndense 2\n", "net.model"));
  try {
    m->graph.plan(int64_t{1} << 40);
    FAIL() << "no exception";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(
        what.rfind("the activations of a batch of 1099511627776 (with their gradients and workspace) need ",
                   0),
        0u)
        << what;
    EXPECT_NE(what.find("; lower --batch-size, or set --max-micro-batch, or make the model smaller"),
              std::string::npos);
  }
  m->graph.plan(16);  // still usable
  EXPECT_EQ(m->graph.max_batch(), 16);
}

TEST(Memory, AvailableMemoryAndSizes) {
  EXPECT_GT(available_memory_bytes(), 0);
  EXPECT_TRUE(fits_in_memory(1 << 20));
  EXPECT_FALSE(fits_in_memory(-1)) << "an overflowed size";
  EXPECT_FALSE(fits_in_memory(INT64_MAX));
  EXPECT_EQ(format_bytes(512), "512 bytes");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3.0 * (1 << 30)), "3.0 GiB");
}

}  // namespace
}  // namespace tandem
