#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "tandem/core/error.hpp"

#include "tandem/data/dataset.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/model/builder.hpp"

namespace tandem {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tandem_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(Hdf5, DatasetRoundTrip) {
  const auto path = temp_path("data.h5");
  std::vector<uint8_t> x(5 * 2 * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 7);
  std::vector<int32_t> y = {0, 2, 1, 2, 0};
  {
    io::H5File f(path, io::H5File::Mode::kCreate);
    f.write("/train/x", {5, 2, 3}, x.data(), 2);
    f.set_attr("/train/x", "scale", 0.5);
    f.write("/train/y", {5}, y.data());
    f.set_attr("/", "classes", std::vector<std::string>{"a", "b", "c"});
  }
  auto d = data::Dataset::load(path, "train");
  EXPECT_EQ(d.size(), 5);
  EXPECT_EQ(d.sample_shape(), (Shape{2, 3}));
  EXPECT_EQ(d.classes_in_file(), 3);
  EXPECT_EQ(d.max_label(), 2);
  std::vector<float> xb(12);
  std::vector<int32_t> yb(2);
  const int64_t idx[2] = {3, 1};
  d.gather(idx, 2, xb.data(), yb.data());
  EXPECT_EQ(yb[0], 2);
  EXPECT_EQ(yb[1], 2);
  EXPECT_FLOAT_EQ(xb[0], 0.5f * x[18]);
  EXPECT_FLOAT_EQ(xb[11], 0.5f * x[11]);
  std::filesystem::remove(path);
}

// A model spec that carries the class counts of a 100,000-class hierarchical softmax is far
// over HDF5's 64 KiB limit for an attribute's own storage; as a variable-length string its
// text lives in the file's global heap, so it round-trips.
TEST(Hdf5, AttributesOver64KiBRoundTrip) {
  const auto path = temp_path("big_attr.h5");
  std::string spec = "loss hierarchical_softmax tree=huffman classes=100000 counts=";
  for (int c = 0; c < 100000; ++c) spec += std::to_string(c % 97) + ",";
  ASSERT_GT(spec.size(), 200000u);
  {
    io::H5File f(path, io::H5File::Mode::kCreate);
    f.write("/model/x", {1}, std::vector<float>{1.0f}.data());
    f.set_attr("/model", "spec", spec);
  }
  io::H5File f(path, io::H5File::Mode::kRead);
  EXPECT_EQ(f.attr_string("/model", "spec"), spec);
  std::filesystem::remove(path);
}

TEST(Hdf5, MissingPiecesGiveClearErrors) {
  const auto path = temp_path("bad.h5");
  std::vector<float> x(6, 1.0f);
  std::vector<int32_t> y = {0, 1};
  {
    io::H5File f(path, io::H5File::Mode::kCreate);
    f.write("/train/x", {3, 2}, x.data());
    f.write("/train/y", {2}, y.data());
    f.set_attr("/train", "rate", 0.5);
  }
  try {
    data::Dataset::load(path, "train");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has 3 rows but /train/y has 2"), std::string::npos) << e.what();
  }
  try {
    data::Dataset::load(path, "test");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no '/test/x'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(data::Dataset::load(path + ".missing", "train"), Error);
  // An attribute read as text that is not: the error names the attribute, object and file.
  try {
    io::H5File(path, io::H5File::Mode::kRead).attr_string("/train", "rate");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("attribute 'rate' on '/train' in '" + path + "' is not a string"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::remove(path);
}

TEST(Hdf5, ModelParametersRoundTrip) {
  model::ModelBuilder b;
  b.input({1, 6, 6});
  b.conv2d(3, {{"kernel", "3"}});
  b.batchnorm();
  b.activation("relu");
  b.flatten();
  b.dense(4);
  auto m = model::build_model(b.spec());
  model::initialize(m->graph, 11);
  for (size_t i = 0; i < m->graph.state().size(); ++i) m->graph.state()[i] = 0.1f * static_cast<float>(i);
  const auto path = temp_path("model.h5");
  io::save_model(path, *m, {{"lr", "0.1"}});
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto back = io::load_model(path);
  ASSERT_EQ(back->graph.param_count(), m->graph.param_count());
  for (int64_t i = 0; i < m->graph.param_count(); ++i)
    ASSERT_EQ(back->graph.params()[i], m->graph.params()[i]);
  for (size_t i = 0; i < m->graph.state().size(); ++i) ASSERT_EQ(back->graph.state()[i], m->graph.state()[i]);
  EXPECT_EQ(back->spec.to_text(), m->spec.to_text());
  io::H5File f(path, io::H5File::Mode::kRead);
  EXPECT_EQ(f.attr_string("/config", "lr"), "0.1");
  EXPECT_EQ(f.attr_string("/", "format"), "tandem-model");
  std::filesystem::remove(path);
}

std::unique_ptr<model::Model> small_model() {
  model::ModelBuilder b;
  b.input({1, 4, 4});
  b.flatten();
  b.dense(3);
  auto m = model::build_model(b.spec());
  model::initialize(m->graph, 5);
  return m;
}

TEST(Checkpoint, RoundTripsOptimizerStatePositionAndHistory) {
  auto m = small_model();
  optim::OptimizerConfig oc;
  oc.name = "adam";
  auto opt = optim::make_optimizer(oc);
  std::vector<float> grads(static_cast<size_t>(m->graph.param_count()), 0.25f);
  for (int i = 0; i < 3; ++i) opt->step(m->graph.params(), grads, 0.01);
  io::TrainProgress p;
  p.epoch = 4;
  p.batch = 17;
  p.global_step = 123;
  p.epoch_loss_sum = 9.5;
  p.lr_scale = 0.01;
  p.best_epoch = 3;
  p.best_metric = 0.42;
  io::DataShape d{100, 10, 20, 3, "[1, 4, 4]"};
  const auto path = temp_path("ckpt.h5");
  io::save_checkpoint(path, *m, *opt, {{"lr", "0.01"}, {"seed", "7"}}, p, d,
                      {"{\"epoch\": 1}", "{\"epoch\": 2}"});
  const auto meta = io::read_checkpoint_meta(path);
  EXPECT_EQ(meta.progress.epoch, 4);
  EXPECT_EQ(meta.progress.batch, 17);
  EXPECT_EQ(meta.progress.global_step, 123);
  EXPECT_EQ(meta.progress.epoch_loss_sum, 9.5);
  EXPECT_EQ(meta.progress.lr_scale, 0.01);
  EXPECT_EQ(meta.progress.best_epoch, 3);
  EXPECT_EQ(meta.data.sample_shape, "[1, 4, 4]");
  EXPECT_EQ(meta.config.at("seed"), "7");
  EXPECT_EQ(meta.history.size(), 2u);
  EXPECT_EQ(meta.spec_text, m->spec.to_text());
  auto m2 = small_model();
  model::initialize(m2->graph, 99);
  auto opt2 = optim::make_optimizer(oc);
  io::restore_checkpoint(path, *m2, *opt2);
  EXPECT_EQ(opt2->steps(), 3);
  for (int64_t i = 0; i < m->graph.param_count(); ++i) ASSERT_EQ(m2->graph.params()[i], m->graph.params()[i]);
  auto s1 = opt->state(), s2 = opt2->state();
  ASSERT_EQ(s1.size(), 2u);
  for (size_t k = 0; k < s1.size(); ++k) EXPECT_EQ(*s1[k].data, *s2[k].data) << s1[k].name;
  // The next step is the same from both.
  opt->step(m->graph.params(), grads, 0.01);
  opt2->step(m2->graph.params(), grads, 0.01);
  for (int64_t i = 0; i < m->graph.param_count(); ++i) ASSERT_EQ(m2->graph.params()[i], m->graph.params()[i]);
  // A model file is not a checkpoint; another optimizer is refused.
  io::save_model(temp_path("model_only.h5"), *m, {});
  EXPECT_THROW(io::read_checkpoint_meta(temp_path("model_only.h5")), UsageError);
  oc.name = "sgd";
  EXPECT_THROW(io::restore_checkpoint(path, *m2, *optim::make_optimizer(oc)), UsageError);
  std::filesystem::remove(path);
  std::filesystem::remove(temp_path("model_only.h5"));
}

TEST(Checkpoint, ACrashBeforeTheRenameLeavesThePreviousCheckpointLoadable) {
  auto m = small_model();
  auto opt = optim::make_optimizer({});
  const auto path = temp_path("crash.h5");
  io::TrainProgress p;
  p.global_step = 10;
  io::save_checkpoint(path, *m, *opt, {}, p, {}, {});
  // The next write dies after writing part of the temporary file, before the rename.
  EXPECT_THROW(io::write_atomically(path,
                                    [&](io::H5File& f) {
                                      io::write_model(f, *m, {});
                                      throw std::runtime_error("killed mid-write");
                                    }),
               std::runtime_error);
  EXPECT_TRUE(std::filesystem::exists(path + ".tmp"));
  const auto meta = io::read_checkpoint_meta(path);
  EXPECT_EQ(meta.progress.global_step, 10);
  io::restore_checkpoint(path, *m, *opt);
  // The next successful write replaces the stale temporary file.
  p.global_step = 11;
  io::save_checkpoint(path, *m, *opt, {}, p, {}, {});
  EXPECT_EQ(io::read_checkpoint_meta(path).progress.global_step, 11);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  std::filesystem::remove(path);
}

// The fault-injection hook's place (TANDEM_TEST_KILL_BEFORE_RENAME, tests/integration/fault_test.sh):
// it runs when the temporary file is complete and readable and the target still holds the
// previous file.
TEST(Checkpoint, BeforeRenameRunsOnACompleteTemporaryFileWithThePreviousOneInPlace) {
  const auto path = temp_path("hook.h5");
  const float old_value = 1.0f, new_value = 2.0f;
  io::write_atomically(path, [&](io::H5File& f) { f.write("/x", {1}, &old_value); });
  int calls = 0;
  io::write_atomically(
      path, [&](io::H5File& f) { f.write("/x", {1}, &new_value); },
      [&] {
        ++calls;
        float in_tmp = 0, in_place = 0;
        io::H5File(path + ".tmp", io::H5File::Mode::kRead).read("/x", &in_tmp);
        io::H5File(path, io::H5File::Mode::kRead).read("/x", &in_place);
        EXPECT_EQ(in_tmp, new_value);
        EXPECT_EQ(in_place, old_value);
      });
  EXPECT_EQ(calls, 1);
  float now = 0;
  io::H5File(path, io::H5File::Mode::kRead).read("/x", &now);
  EXPECT_EQ(now, new_value);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tandem
