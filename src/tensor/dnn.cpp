#include "tandem/tensor/dnn.hpp"

#include <omp.h>

#include <algorithm>

#include "dnn_context.hpp"

namespace tandem::dnn {
namespace {

thread_local bool t_in_library = false;

dnnl::stream& cpu_stream() {
  static dnnl::stream s(engine());
  return s;
}

}  // namespace

void set_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

bool in_library_call() {
  return t_in_library;
}

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

void execute(const dnnl::primitive& p, const Args& args) {
  struct InLibrary {  // cleared however the call ends
    InLibrary() { t_in_library = true; }
    ~InLibrary() { t_in_library = false; }
  } in_library;
  p.execute(cpu_stream(), args);
  cpu_stream().wait();
}

dnnl::memory unbound(const dnnl::memory::desc& d) {
  return dnnl::memory(d, engine(), DNNL_MEMORY_NONE);
}

void bind(dnnl::memory& m, const void* data) {
  m.set_data_handle(const_cast<void*>(data));
}

int64_t floats_of(const dnnl::memory::desc& d) {
  const auto floats = static_cast<int64_t>((d.get_size() + sizeof(float) - 1) / sizeof(float));
  return (floats + 15) / 16 * 16;
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::memory::desc shared_scratchpad(const std::vector<dnnl::primitive_desc_base>& pds) {
  size_t bytes = sizeof(float);
  for (const auto& pd : pds) bytes = std::max(bytes, pd.scratchpad_desc().get_size());
  return {{static_cast<dnnl::memory::dim>((bytes + sizeof(float) - 1) / sizeof(float))},
          dnnl::memory::data_type::f32,
          dnnl::memory::format_tag::x};
}

Reorder::Reorder(dnnl::memory& from, dnnl::memory& to, bool add) {
  dnnl::primitive_attr attr;
  if (add) {
    dnnl::post_ops sum;
    sum.append_sum(1.0f);
    attr.set_post_ops(sum);
  }
  prim = dnnl::reorder(dnnl::reorder::primitive_desc(from, to, attr));
  args = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
}

Layouts::Layouts(const dnnl::memory::desc& user_desc, const dnnl::memory::desc& inner_desc)
    : user(unbound(user_desc)), inner(unbound(inner_desc)), staged(user_desc != inner_desc) {}

}  // namespace tandem::dnn
