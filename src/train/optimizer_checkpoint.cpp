#include "tandem/train/optimizer_checkpoint.hpp"

#include "tandem/core/error.hpp"

namespace tandem::train {

io::OptimizerRecord optimizer_checkpoint(optim::Optimizer& opt, const dist::GradientSync& sync,
                                         dist::Comm& comm, int64_t params,
                                         std::vector<std::vector<float>>& storage) {
  auto record = io::optimizer_record(opt, params);
  if (!sync.sharded()) return record;
  const auto& pieces = sync.pieces();
  const int64_t mine = pieces[comm.rank() + 1] - pieces[comm.rank()];
  storage.clear();
  for (auto& array : record.state) {
    TANDEM_CHECK(static_cast<int64_t>(array.f32.size()) == mine, "sharded optimizer state '", array.name,
                 "' has ", array.f32.size(), " values, its piece ", mine);
    storage.emplace_back(comm.is_root() ? static_cast<size_t>(params) : 0);
    comm.gather(array.f32.data(), pieces, storage.back().data(), 0);
    array.f32 = storage.back();
  }
  return record;
}

}  // namespace tandem::train
