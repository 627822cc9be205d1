// The checkpoint reader of `tandem train --resume` (io::read_checkpoint_meta, the options it
// stores through train::resolve_options, io::restore_checkpoint, io::read_run_array), on
// checkpoints written by io::save_checkpoint from fuzzed contents: stored options, progress,
// history, optimizer name and state arrays, /run arrays, the model written (maybe not the one
// read back), and with TANDEM_FUZZ_DAMAGE set, a few bytes of the written file overwritten.
// Every read either fails with an Error or fills the model and optimizer it was given.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "fuzz_support.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/model/spec.hpp"
#include "tandem/train/options.hpp"

namespace {

const char* const kSpecs[] = {
    "input 3\ndense 2\n",
    "input 2 2\nflatten\ndense 3\nbatchnorm\nrelu\ndense 2\nloss softmax_cross_entropy\n",
};
const char* const kOptimizers[] = {"sgd", "momentum", "adam"};
const char* const kRunArrays[] = {"best_params", "best_state", "rank_state", "grad_residual",
                                  "hard_examples_recent_loss"};

std::unique_ptr<tandem::model::Model> make_model(size_t which) {
  return tandem::model::build_model(tandem::model::parse_spec(kSpecs[which], "fuzz.model"));
}

std::unique_ptr<tandem::optim::Optimizer> make_optimizer(const std::string& name) {
  tandem::optim::OptimizerConfig config;
  config.name = name;
  return tandem::optim::make_optimizer(config);
}

std::vector<float> floats(FuzzedDataProvider& in, size_t max) {
  std::vector<float> v(in.ConsumeIntegralInRange<size_t>(0, max));
  for (auto& x : v) x = in.ConsumeFloatingPoint<float>();
  return v;
}

void write_checkpoint(const std::string& path, FuzzedDataProvider& in) {
  auto model = make_model(in.ConsumeIntegralInRange<size_t>(0, std::size(kSpecs) - 1));
  tandem::io::OptimizerRecord opt;
  opt.name = in.ConsumeBool() ? kOptimizers[in.ConsumeIntegralInRange<size_t>(0, 2)]
                              : in.ConsumeRandomLengthString(8);
  opt.steps = in.ConsumeIntegral<int64_t>();
  std::vector<std::vector<float>> state_data;
  for (int i = in.ConsumeIntegralInRange(0, 2); i > 0; --i) state_data.push_back(floats(in, 64));
  static const char* const kStateNames[] = {"velocity", "m", "v", "x"};
  for (size_t i = 0; i < state_data.size(); ++i)
    opt.state.push_back({kStateNames[in.ConsumeIntegralInRange<size_t>(0, 3)], state_data[i], {}});
  std::map<std::string, std::string> config;
  for (int i = in.ConsumeIntegralInRange(0, 4); i > 0; --i) {
    auto name = in.ConsumeBool()
                    ? std::string(in.PickValueInArray({"lr", "epochs", "optimizer", "batch-size", "seed"}))
                    : in.ConsumeRandomLengthString(10);
    if (name.empty()) continue;
    config[name] = in.ConsumeRandomLengthString(12);
  }
  tandem::io::TrainProgress progress;
  progress.epoch = in.ConsumeIntegral<int64_t>();
  progress.batch = in.ConsumeIntegral<int64_t>();
  progress.global_step = in.ConsumeIntegral<int64_t>();
  progress.ranks = in.ConsumeIntegral<int64_t>();
  progress.lr_scale = in.ConsumeFloatingPoint<double>();
  tandem::io::DataShape shape;
  shape.train_size = in.ConsumeIntegral<int64_t>();
  shape.classes = in.ConsumeIntegral<int64_t>();
  shape.sample_shape = in.ConsumeRandomLengthString(12);
  std::vector<std::string> history(in.ConsumeIntegralInRange(0, 3));
  for (auto& line : history) line = in.ConsumeRandomLengthString(20);
  std::vector<std::vector<float>> run_f32;
  std::vector<std::vector<double>> run_f64;
  std::vector<tandem::io::RunArray> runs;
  for (int i = in.ConsumeIntegralInRange(0, 2); i > 0; --i) {
    const char* name = kRunArrays[in.ConsumeIntegralInRange<size_t>(0, std::size(kRunArrays) - 1)];
    if (in.ConsumeBool()) {
      run_f32.push_back(floats(in, 32));
      runs.push_back({name, run_f32.back(), {}});
    } else {
      run_f64.emplace_back(in.ConsumeIntegralInRange<size_t>(1, 32), in.ConsumeFloatingPoint<double>());
      runs.push_back({name, {}, run_f64.back()});
    }
  }
  tandem::io::save_checkpoint(path, *model, opt, config, progress, shape, history, runs);
}

// Overwrites a few bytes of the file at fuzzed offsets.
void damage(const std::string& path, FuzzedDataProvider& in) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  const int64_t size = f.tellg();
  for (int i = in.ConsumeIntegralInRange(0, 3); i > 0 && size > 0; --i) {
    f.seekp(in.ConsumeIntegralInRange<int64_t>(0, size - 1));
    const char byte = in.ConsumeIntegral<char>();
    f.write(&byte, 1);
  }
}

void resume_from(const std::string& path, FuzzedDataProvider& in) {
  const auto meta = tandem::io::read_checkpoint_meta(path);
  const auto resolved = tandem::train::resolve_options({{"resume", path}});
  auto model = make_model(in.ConsumeIntegralInRange<size_t>(0, std::size(kSpecs) - 1));
  auto opt = make_optimizer(kOptimizers[in.ConsumeIntegralInRange<size_t>(0, 2)]);
  tandem::io::restore_checkpoint(path, *model, *opt);
  std::vector<float> f32;
  std::vector<double> f64;
  for (const char* name : kRunArrays) {
    if (tandem::io::read_run_array(path, name, f32)) (void)f32.size();
    if (tandem::io::read_run_array(path, name, f64)) (void)f64.size();
  }
  (void)meta;
  (void)resolved;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const tandem::fuzz::ScratchFile ckpt(".h5");
  // Only the reader is under test: the writer's refusals end this input.
  if (!tandem::fuzz::expect_clear_errors([&] { write_checkpoint(ckpt.path(), in); })) return 0;
  // Overwritten bytes reach libhdf5's own bugs within seconds (README "Fuzzing"): on request.
  static const bool damage_files = std::getenv("TANDEM_FUZZ_DAMAGE") != nullptr;
  if (damage_files && in.ConsumeIntegralInRange(0, 3) == 0) damage(ckpt.path(), in);
  tandem::fuzz::expect_clear_errors([&] { resume_from(ckpt.path(), in); });
  return 0;
}
