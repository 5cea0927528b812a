// Masks: masked_fill, masked_select, nonzero.
#include <cstring>
#include <vector>

#include "kernels/cpu/index.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

namespace {

// Elements per chunk when counting then writing selected entries: fixed, so the output is
// the same on any number of threads.
constexpr int64_t kSelectChunk = 1 << 16;

// `t` broadcast to `shape` (stride 0 on the new and the size-1 dims).
Tensor broadcast_view(const Tensor& t, const Shape& shape) {
  const int64_t lead = static_cast<int64_t>(shape.size()) - t.dim();
  Shape strides(shape.size(), 0);
  for (int64_t k = 0; k < t.dim(); ++k) {
    strides[lead + k] = t.sizes()[k] == 1 ? 0 : t.strides()[k];
  }
  return make_view(t, shape, strides, t.storage_offset());
}

template <typename T>
void fill_where(const Tensor& out, const Tensor& self, const Tensor& mask, const Scalar& value) {
  const T v = T(value.to<opmath_t<T>>());
  // bool and uint8 masks are both one byte; any nonzero byte selects.
  cpu_kernel_typed<T, T, uint8_t>(out, {&self, &mask}, [v](T x, uint8_t m) { return m ? v : x; });
}

}  // namespace

void masked_fill_Scalar(const Tensor& out, const Tensor& self, const Tensor& mask,
                        const Scalar& value) {
  KILN_DISPATCH_ALL(out.dtype(), "masked_fill",
                    [&]<typename T>() { fill_where<T>(out, self, mask, value); });
}

void masked_fill_Tensor(const Tensor& out, const Tensor& self, const Tensor& mask,
                        const Tensor& value) {
  masked_fill_Scalar(out, self, mask, value.item());
}

// self and mask broadcast together; the entries where mask is set, in row-major order.
Tensor masked_select(const Tensor& self, const Tensor& mask) {
  KILN_CHECK(mask.dtype() == DType::kBool || mask.dtype() == DType::kUInt8,
             "masked_select: expected BoolTensor or ByteTensor for mask");
  const Shape shape = broadcast_shapes("masked_select", self.sizes(), mask.sizes());
  const Tensor s = broadcast_view(self, shape), m = broadcast_view(mask, shape);
  const LoopGeometry<2> g({&m, &s});
  const int64_t n = g.numel;
  std::vector<int64_t> counts((n + kSelectChunk - 1) / kSelectChunk, 0);
  parallel_chunks(n, kSelectChunk, [&](int64_t c, int64_t lo, int64_t hi) {
    int64_t k = 0;
    g.run(lo, hi, [&](std::array<char*, 2> p, const std::array<int64_t, 2>& st, int64_t len) {
      for (int64_t j = 0; j < len; ++j) k += p[0][j * st[0]] != 0;
    });
    counts[c] = k;
  });
  std::vector<int64_t> start(counts.size() + 1, 0);
  for (size_t c = 0; c < counts.size(); ++c) start[c + 1] = start[c] + counts[c];
  Tensor out = empty_tensor({start.back()}, self.dtype(), self.device());
  char* o = static_cast<char*>(out.raw_data());
  const int64_t es = static_cast<int64_t>(self.element_size());
  parallel_chunks(n, kSelectChunk, [&](int64_t c, int64_t lo, int64_t hi) {
    char* w = o + start[c] * es;
    g.run(lo, hi, [&](std::array<char*, 2> p, const std::array<int64_t, 2>& st, int64_t len) {
      for (int64_t j = 0; j < len; ++j) {
        if (p[0][j * st[0]] == 0) continue;
        std::memcpy(w, p[1] + j * st[1], size_t(es));
        w += es;
      }
    });
  });
  return out;
}

// out [n, ndim] (int64): the coordinates of self's nonzero entries in row-major order.
Tensor nonzero(const Tensor& self) {
  const int64_t nd = self.dim();
  const int64_t n = self.numel();
  std::vector<int64_t> counts((n + kSelectChunk - 1) / kSelectChunk, 0);
  Tensor out;
  KILN_DISPATCH_ALL(self.dtype(), "nonzero", [&]<typename T>() {
    const LoopGeometry<1> g({&self});
    auto is_set = [](const char* p) {
      return static_cast<opmath_t<T>>(detail::load<T>(p)) != opmath_t<T>(0);
    };
    parallel_chunks(n, kSelectChunk, [&](int64_t c, int64_t lo, int64_t hi) {
      int64_t k = 0;
      g.run(lo, hi, [&](std::array<char*, 1> p, const std::array<int64_t, 1>& st, int64_t len) {
        for (int64_t j = 0; j < len; ++j) k += is_set(p[0] + j * st[0]);
      });
      counts[c] = k;
    });
    std::vector<int64_t> start(counts.size() + 1, 0);
    for (size_t c = 0; c < counts.size(); ++c) start[c + 1] = start[c] + counts[c];
    out = empty_tensor({start.back(), nd}, DType::kInt64, self.device());
    int64_t* o = out.data_ptr<int64_t>();
    parallel_chunks(n, kSelectChunk, [&](int64_t c, int64_t lo, int64_t hi) {
      int64_t* w = o + start[c] * nd;
      int64_t i = lo;
      g.run(lo, hi, [&](std::array<char*, 1> p, const std::array<int64_t, 1>& st, int64_t len) {
        for (int64_t j = 0; j < len; ++j, ++i) {
          if (!is_set(p[0] + j * st[0])) continue;
          int64_t rem = i;
          for (int64_t k = nd - 1; k >= 0; --k) {
            w[k] = rem % self.sizes()[k];
            rem /= self.sizes()[k];
          }
          w += nd;
        }
      });
    });
  });
  return out;
}

}  // namespace kiln::cpu
