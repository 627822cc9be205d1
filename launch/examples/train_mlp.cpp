// Trains a small MLP with tandem as a C++ library: the model from the C++ builder, the
// trainer API for the data-parallel loop, and an exact evaluation on the test split.
//
//   train_mlp DATASET.h5 [MIN_ACCURACY]        (one process, or mpirun -np N train_mlp ...)
//
// DATASET.h5 is a tandem dataset with class labels (/train, /test), e.g. the quickstart's
// datasets/fashion-mnist.h5. Prints the test accuracy and exits with 1 unless it is above
// MIN_ACCURACY (default 0.8: this MLP reaches about 0.85 on Fashion-MNIST in 5 epochs, and
// a model that does not learn stays near chance, 1/classes).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "tandem/data/dataset.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/model/builder.hpp"
#include "tandem/train/evaluate.hpp"
#include "tandem/train/trainer.hpp"

int main(int argc, char** argv) {
  using namespace tandem;
  dist::MpiSession mpi(&argc, &argv);  // also without mpirun: then one rank
  auto comm = dist::make_world_comm();
  if (argc < 2 || argc > 3) {
    if (comm->is_root()) std::fprintf(stderr, "usage: train_mlp DATASET.h5 [MIN_ACCURACY]\n");
    return 2;
  }
  const std::string data = argv[1];
  const double min_accuracy = argc == 3 ? std::atof(argv[2]) : 0.8;
  try {
    // Input shape and class count come from the data.
    const auto test = data::Dataset::load(data, "test");
    const int64_t classes = test.classes_in_file() > 0 ? test.classes_in_file() : test.max_label() + 1;

    model::ModelBuilder builder;
    builder.input(test.sample_shape().dims());
    builder.flatten();
    builder.dense(64);
    builder.activation("relu");
    builder.dense(classes);
    builder.loss("softmax_cross_entropy");

    // Every option not set here keeps its default (the defaults of `tandem train`).
    train::TrainConfig config;
    config.data = data;
    config.epochs = 5;
    config.batch_size = 64;  // global: split across the ranks
    config.lr = 0.05;
    config.seed = 1;
    config.optimizer.name = "momentum";
    train::Trainer trainer(config, *comm, builder.spec());  // loads the data, builds the model
    const auto epochs = trainer.run();
    if (comm->is_root())
      std::printf("trained %zu epochs; last training loss %.4f\n", epochs.size(), epochs.back().train_loss);

    const auto result = train::evaluate(trainer.model(), test, *comm, trainer.micro_batch());
    const bool ok = result.accuracy > min_accuracy;
    if (comm->is_root())
      std::printf("test accuracy %.4f on %lld samples (%s %.4f)\n", result.accuracy,
                  static_cast<long long>(result.samples), ok ? "above" : "NOT above", min_accuracy);
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_mlp: error: %s\n", e.what());
    dist::MpiSession::abort(1);
  }
}
