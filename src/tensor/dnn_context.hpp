#pragma once
// What the oneDNN wrappers of src/tensor share: the engine, the stream, and execute().
#include <dnnl.hpp>

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

}  // namespace tandem::dnn
