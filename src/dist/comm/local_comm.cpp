#include "tandem/dist/comm.hpp"

namespace tandem::dist {
namespace {
class DoneRequest final : public Request {
 public:
  bool test() override { return true; }
  void wait() override {}
};
}  // namespace

std::unique_ptr<Request> LocalComm::iallreduce_sum(float*, int64_t) {
  return std::make_unique<DoneRequest>();
}

}  // namespace tandem::dist
