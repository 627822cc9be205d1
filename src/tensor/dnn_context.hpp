#pragma once
// What the oneDNN wrappers of src/tensor share: the engine, the stream, and execute().
#include <dnnl.hpp>

#include <initializer_list>
#include <unordered_map>

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
dnnl::memory::desc shared_scratchpad(std::initializer_list<dnnl::primitive_desc_base> pds);

}  // namespace tandem::dnn
