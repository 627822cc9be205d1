#pragma once
// What the oneDNN wrappers of src/tensor share: the engine, the stream, and execute().
#include <dnnl.hpp>

#include <unordered_map>
#include <vector>

namespace tandem::dnn {

using Args = std::unordered_map<int, dnnl::memory>;

dnnl::engine& engine();
// Runs a primitive on this rank's CPU stream and waits for it.
void execute(const dnnl::primitive& p, const Args& args);
// A memory object without storage; its handle is set before each call.
dnnl::memory unbound(const dnnl::memory::desc& d);
void bind(dnnl::memory& m, const void* data);
// Floats a memory descriptor needs, rounded up to a cache line.
int64_t floats_of(const dnnl::memory::desc& d);
// Primitives take their scratchpad from the caller (tandem's scratch), not from oneDNN's heap.
dnnl::primitive_attr user_scratchpad();
// One scratchpad for primitives that run one at a time: the largest of theirs.
dnnl::memory::desc shared_scratchpad(const std::vector<dnnl::primitive_desc_base>& pds);

// Carves the caller's scratch into cache-line-aligned pieces.
class Carver {
 public:
  explicit Carver(float* base) : next_(base) {}
  float* take(int64_t floats) {
    float* p = next_;
    next_ += (floats + 15) / 16 * 16;
    return p;
  }
  float* take(const dnnl::memory& m) { return take(floats_of(m.get_desc())); }

 private:
  float* next_;
};

// A reorder between two memory objects, optionally adding to the destination.
struct Reorder {
  dnnl::reorder prim;
  Args args;
  Reorder(dnnl::memory& from, dnnl::memory& to, bool add);
  void run() const { execute(prim, args); }
};

// A tensor as the caller holds it (NCHW / OIHW) and as a primitive wants it. `staged` when the
// two layouts differ: the primitive then works on `inner`, reached through reorders.
struct Layouts {
  dnnl::memory user, inner;
  bool staged = false;
  Layouts(const dnnl::memory::desc& user_desc, const dnnl::memory::desc& inner_desc);
  dnnl::memory& used() { return staged ? inner : user; }
  int64_t inner_floats() const { return floats_of(inner.get_desc()); }
};

}  // namespace tandem::dnn
