#pragma once
// What the MPI tests share: a small random dataset and model spec written by rank 0 to a
// directory all ranks see, the models they train, and the relative difference they compare.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "mpi_env.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/train/config.hpp"

namespace tandem::mpi_fixture {

using testing::g_world;

// A small random dataset and a model spec, written by rank 0 to a directory all ranks share.
class Fixture {
 public:
  explicit Fixture(const std::string& spec_text) {
    uint64_t pid = static_cast<uint64_t>(::getpid());
    g_world->broadcast(&pid, sizeof pid, 0);
    dir_ = std::filesystem::temp_directory_path() / ("tandem_mpi_" + std::to_string(pid));
    if (g_world->is_root()) {
      std::filesystem::create_directories(dir_);
      Philox rng(5, RngPurpose::kInit);
      const int64_t n = 70, t = 23;
      std::vector<float> x(n * 64), xt(t * 64);
      std::vector<int32_t> y(n), yt(t);
      for (auto& v : x) v = rng.uniform();
      for (auto& v : xt) v = rng.uniform();
      for (auto& v : y) v = static_cast<int32_t>(rng.below(5));
      for (auto& v : yt) v = static_cast<int32_t>(rng.below(5));
      io::H5File f(data(), io::H5File::Mode::kCreate);
      f.write("/train/x", {n, 1, 8, 8}, x.data());
      f.write("/train/y", {n}, y.data());
      f.write("/test/x", {t, 1, 8, 8}, xt.data());
      f.write("/test/y", {t}, yt.data());
      // The same images plus a second input and a multi-label target, for multi-input models.
      std::vector<float> meta(n * 3), metat(t * 3), tags(n * 4), tagst(t * 4);
      for (auto& v : meta) v = rng.uniform();
      for (auto& v : metat) v = rng.uniform();
      for (auto& v : tags) v = rng.below(2) ? 1.0f : 0.0f;
      for (auto& v : tagst) v = rng.below(2) ? 1.0f : 0.0f;
      io::H5File g(multi_data(), io::H5File::Mode::kCreate);
      g.write("/train/x/image", {n, 1, 8, 8}, x.data());
      g.write("/train/x/meta", {n, 3}, meta.data());
      g.write("/train/y/cls", {n}, y.data());
      g.write("/train/y/tags", {n, 4}, tags.data());
      g.write("/test/x/image", {t, 1, 8, 8}, xt.data());
      g.write("/test/x/meta", {t, 3}, metat.data());
      g.write("/test/y/cls", {t}, yt.data());
      g.write("/test/y/tags", {t, 4}, tagst.data());
      std::ofstream(model()) << spec_text;
    }
    g_world->barrier();
  }
  ~Fixture() {
    g_world->barrier();
    if (g_world->is_root()) std::filesystem::remove_all(dir_);
  }
  std::string data() const { return (dir_ / "data.h5").string(); }
  std::string multi_data() const { return (dir_ / "multi.h5").string(); }
  std::string model() const { return (dir_ / "net.model").string(); }
  std::string dir() const { return dir_.string(); }

  train::TrainConfig config(int64_t batch) const {
    train::TrainConfig c;
    c.data = data();
    c.model = model();
    c.batch_size = batch;
    c.lr = 0.1;
    c.seed = 3;
    c.threads = 1;
    c.optimizer.name = "momentum";
    return c;
  }

 private:
  std::filesystem::path dir_;
};

inline double max_rel_diff(std::span<const float> a, std::span<const float> b) {
  double diff = 0, scale = 1e-12;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(double{a[i]} - b[i]));
    scale = std::max(scale, std::abs(double{b[i]}));
  }
  return diff / scale;
}

inline const char* kMlp = "input 1 8 8\nflatten\ndense 16\ntanh\ndense 12\nrelu\ndense 5\n";
inline const char* kCnnBn =
    "input 1 8 8\nconv2d 4 kernel=3 pad=1\nbatchnorm\nrelu\nmaxpool 2\nflatten\ndense "
    "8\nbatchnorm\nrelu\ndense 5\n";

// Two inputs (the image and 3 features), two losses (5 classes; 4 labels, weighted).
inline const char* kTwoInTwoOut =
    "image = input 1 8 8\nflatten\ndense 12\nf = relu\nmeta = input 3\nm = dense 4 in=meta\nj = concat f m\n"
    "cls = dense 5\ntags = dense 4 in=j\nloss softmax_cross_entropy in=cls\nloss bce_logits in=tags "
    "weight=0.5\n";

}  // namespace tandem::mpi_fixture
