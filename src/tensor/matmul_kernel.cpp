#include "tandem/tensor/matmul_kernel.hpp"

#include <optional>
#include <vector>

#include "dnn_context.hpp"
#include "tandem/core/error.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::dnn {

using dnnl::memory;
using Tag = memory::format_tag;

namespace {

constexpr auto kF32 = memory::data_type::f32;

// A row-major matrix [rows, cols] with row stride `ld`, or its transpose (a view, no copy).
memory::desc matrix(int64_t rows, int64_t cols, memory::data_type t, int64_t ld) {
  return {{rows, cols}, t, memory::dims{ld, 1}};
}
memory::desc transposed(int64_t rows, int64_t cols, memory::data_type t, int64_t ld) {
  return {{cols, rows}, t, memory::dims{1, ld}};
}

dnnl::matmul::primitive_desc product(const memory::desc& a, const memory::desc& b, const memory::desc& c,
                                     bool add, const memory::desc& bias = memory::desc()) {
  auto attr = user_scratchpad();
  if (add) {
    dnnl::post_ops sum;
    sum.append_sum(1.0f);
    attr.set_post_ops(sum);
  }
  const auto d = bias.is_zero() ? dnnl::matmul::desc(a, b, c) : dnnl::matmul::desc(a, b, bias, c);
  return {d, attr, engine()};
}

struct Product {  // a planned matmul and the memory objects it reads and writes
  dnnl::matmul::primitive_desc pd;
  dnnl::primitive prim;
  memory a, b, c;
  Args args;
  Product(const dnnl::matmul::primitive_desc& p, memory& pad) : pd(p), prim(dnnl::matmul(p)) {
    a = unbound(pd.src_desc()), b = unbound(pd.weights_desc()), c = unbound(pd.dst_desc());
    args = {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}, {DNNL_ARG_SCRATCHPAD, pad}};
  }
  void run(const void* a_data, const void* b_data, float* c_data) {
    bind(a, a_data), bind(b, b_data), bind(c, c_data);
    execute(prim, args);
  }
};

}  // namespace

// In bf16, x, W and dy are converted once per call into bf16 copies (x and W kept in the
// workspace for backward); in fp32 the products read the caller's arrays directly.
struct MatmulKernel::Plan {
  Plan(const MatmulGeometry& g, int64_t n)
      : t(g.precision == Precision::kBf16 ? memory::data_type::bf16 : kF32),
        convert(t != kF32),
        pad(unbound({{1}, kF32, Tag::x})),
        fwd(product(matrix(n, g.in, t, g.in), transposed(g.out, g.in, t, g.in), matrix(n, g.out, kF32, g.out),
                    false, g.bias ? bias_desc(g) : memory::desc()),
            pad),
        fwd_add(product(matrix(n, g.in, t, g.in), transposed(g.out, g.in, t, g.in),
                        matrix(n, g.out, kF32, g.out), true),
                pad),
        dx_set(product(matrix(n, g.out, t, g.out), matrix(g.out, g.in, t, g.in), matrix(n, g.in, kF32, g.in),
                       false),
               pad),
        dx_add(product(matrix(n, g.out, t, g.out), matrix(g.out, g.in, t, g.in), matrix(n, g.in, kF32, g.in),
                       true),
               pad) {
    dw.emplace_back(dw_product(g, n, g.out), pad);
    const int64_t rows = g.piece_rows;
    if (rows > 0 && rows < g.out) {
      dw.emplace_back(dw_product(g, n, rows), pad);
      if (g.out % rows) dw.emplace_back(dw_product(g, n, g.out % rows), pad);
    }
    if (g.bias) {
      bias = unbound(bias_desc(g));
      fwd.args[DNNL_ARG_BIAS] = bias;
    }
    std::vector<dnnl::primitive_desc_base> pds{fwd.pd, fwd_add.pd, dx_set.pd, dx_add.pd};
    for (const auto& p : dw) pds.push_back(p.pd);
    pad = unbound(shared_scratchpad(pds));
    for (Product* p : {&fwd, &fwd_add, &dx_set, &dx_add}) p->args[DNNL_ARG_SCRATCHPAD] = pad;
    for (auto& p : dw) p.args[DNNL_ARG_SCRATCHPAD] = pad;
    pad_floats = floats_of(pad.get_desc());
    if (convert) {
      x_in.emplace(n, g.in, t);
      w_in.emplace(g.out, g.in, t);
      dy_in.emplace(n, g.out, t);
    }
  }

  static memory::desc bias_desc(const MatmulGeometry& g) { return {{1, g.out}, kF32, Tag::ab}; }
  // dW rows [u0, u0 + rows) += (dy^T)[u0 .. u0 + rows) x: dy^T as a view into dy's columns.
  dnnl::matmul::primitive_desc dw_product(const MatmulGeometry& g, int64_t n, int64_t rows) const {
    return product(transposed(n, rows, t, g.out), matrix(n, g.in, t, g.in), matrix(rows, g.in, kF32, g.in),
                   true);
  }

  // fp32 -> the compute type, row-major to row-major.
  struct Conversion {
    memory from, to;
    Reorder reorder;
    Conversion(int64_t rows, int64_t cols, memory::data_type t)
        : from(unbound(matrix(rows, cols, kF32, cols))),
          to(unbound(matrix(rows, cols, t, cols))),
          reorder(from, to, false) {}
    int64_t floats() const { return floats_of(to.get_desc()); }
    void run(const float* src, void* dst) {
      bind(from, src), bind(to, dst);
      reorder.run();
    }
  };

  memory::data_type t;
  bool convert;
  memory pad, bias;
  Product fwd, fwd_add, dx_set, dx_add;
  std::vector<Product> dw;  // the whole dW; with pieces, a block of rows and the last block
  std::optional<Conversion> x_in, w_in, dy_in;
  int64_t pad_floats = 0;
};

MatmulKernel::MatmulKernel(const MatmulGeometry& g) : g_(g) {
  TANDEM_ASSERT(g.in > 0 && g.out > 0 && g.piece_rows >= 0, "invalid matrix product geometry");
}

MatmulKernel::~MatmulKernel() = default;

MatmulKernel::Plan& MatmulKernel::plan(int64_t batch) {
  auto& p = plans_[batch];
  if (!p) p = std::make_unique<Plan>(g_, batch);  // once per batch size: planning, not the step
  return *p;
}

std::string MatmulKernel::implementation(int64_t batch) {
  Plan& p = plan(batch);
  return std::string(p.fwd.pd.impl_info_str()) + " / " + p.dw.front().pd.impl_info_str() + " / " +
         p.dx_set.pd.impl_info_str();
}

int64_t MatmulKernel::workspace_floats(int64_t batch) {
  Plan& p = plan(batch);
  return p.convert ? p.x_in->floats() + p.w_in->floats() : 0;
}

int64_t MatmulKernel::scratch_floats(int64_t batch) {
  Plan& p = plan(batch);
  if (!p.convert) return p.pad_floats;
  return std::max(p.dy_in->floats(), p.x_in->floats() + p.w_in->floats()) + p.pad_floats;
}

void MatmulKernel::forward(int64_t batch, const float* x, const float* w, const float* b, float* y,
                           float* workspace, float* scratch) {
  Plan& p = plan(batch);
  const void *xc = x, *wc = w;
  if (p.convert) {
    Carver keep(workspace);
    float* x16 = keep.take(p.x_in->floats());
    float* w16 = keep.take(p.w_in->floats());
    p.x_in->run(x, x16), p.w_in->run(w, w16);
    xc = x16, wc = w16;
  }
  bind(p.pad, scratch);
  if (g_.bias) bind(p.bias, b);
  p.fwd.run(xc, wc, y);
}

void MatmulKernel::backward(int64_t batch, const float* x, const float* dy, const float* w, float* dw,
                            float* db, float* dx, bool accumulate, const float* workspace, float* scratch,
                            const std::function<void(const float* end)>* piece_done) {
  Plan& p = plan(batch);
  const void *xc = x, *wc = w, *dyc = dy;
  size_t element = sizeof(float);
  Carver c(scratch);
  if (p.convert) {
    Carver kept(const_cast<float*>(workspace));
    xc = kept.take(p.x_in->floats());
    wc = kept.take(p.w_in->floats());
    float* dy16 = c.take(p.dy_in->floats());
    p.dy_in->run(dy, dy16);
    dyc = dy16;
    element = 2;
  }
  bind(p.pad, c.take(p.pad_floats));
  const int64_t rows = piece_done && p.dw.size() > 1 ? g_.piece_rows : g_.out;
  for (int64_t u0 = 0; dw && u0 < g_.out; u0 += rows) {  // dw null: frozen
    const int64_t u = std::min(rows, g_.out - u0);
    Product& block = u == g_.out ? p.dw[0] : u == rows ? p.dw[1] : p.dw[2];
    block.run(static_cast<const char*>(dyc) + u0 * element, xc, dw + u0 * g_.in);
    if (piece_done && u0 + u < g_.out) (*piece_done)(dw + (u0 + u) * g_.in);
  }
  if (dw && db) kernels::sum_rows(dy, db, batch, g_.out);
  if (dx) (accumulate ? p.dx_add : p.dx_set).run(dyc, wc, dx);
}

void MatmulKernel::apply_add(int64_t batch, const float* x, const float* w, float* y, float* scratch) {
  Plan& p = plan(batch);
  const void *xc = x, *wc = w;
  Carver c(scratch);
  if (p.convert) {
    float* x16 = c.take(p.x_in->floats());
    float* w16 = c.take(p.w_in->floats());
    p.x_in->run(x, x16), p.w_in->run(w, w16);
    xc = x16, wc = w16;
  }
  bind(p.pad, c.take(p.pad_floats));
  p.fwd_add.run(xc, wc, y);
}

}  // namespace tandem::dnn
