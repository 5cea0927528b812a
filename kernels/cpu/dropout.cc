// Dropout with counter-based random numbers: element i keeps its value when the uniform
// drawn from word i % 4 of Philox block (offset + i / 4) is below 1 - p, so the mask depends
// only on the generator's seed and offset, never on how the work is split across threads.
#include "engine/core/generator.h"
#include "engine/core/parallel.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/nn_norm.h"

namespace kiln::cpu {

using nn_detail::dense;

void native_dropout(const Tensor& output, const Tensor& mask, const Tensor& input_, double p,
                    bool train) {
  const int64_t n = output.numel();
  if (!train || p == 0) {
    // Eval (or nothing to drop): a copy and an all-true mask; the stream is not advanced in
    // eval, as PyTorch draws nothing there.
    if (n > 0) copy(output, input_, false);
    fill(mask, Scalar(true));
    if (train) (void)default_generator().reserve(uint64_t((n + 3) / 4));
    return;
  }
  const auto [seed, offset] = default_generator().reserve(uint64_t((n + 3) / 4));
  if (n == 0) return;
  const PhiloxStream stream{seed, offset};
  const Tensor input = dense(input_);
  const float keep_below = float(1.0 - p);
  KILN_DISPATCH_FLOATING(output.dtype(), "native_dropout", [&]<typename T>() {
    using A = opmath_t<T>;
    const A scale = p >= 1 ? A(0) : A(1.0 / (1.0 - p));
    const T* x = input.data_ptr<T>();
    T* y = output.data_ptr<T>();
    bool* m = mask.data_ptr<bool>();
    const int64_t blocks = (n + 3) / 4;
    parallel_for(0, blocks, kGrain / 4, [&](int64_t lo, int64_t hi) {
      for (int64_t c = lo; c < hi; ++c) {
        const auto words = stream.block(uint64_t(c));
        for (int k = 0; k < 4; ++k) {
          const int64_t i = c * 4 + k;
          if (i >= n) break;
          const bool keep = PhiloxStream::to_float(words[k]) < keep_below;
          m[i] = keep;
          y[i] = keep ? T(A(x[i]) * scale) : T(0);
        }
      }
    });
  });
}

void native_dropout_backward(const Tensor& out, const Tensor& grad_output, const Tensor& mask,
                             double scale) {
  KILN_DISPATCH_FLOATING(out.dtype(), "native_dropout_backward", [&]<typename T>() {
    using A = opmath_t<T>;
    const A s = A(scale);
    cpu_kernel_typed<T, T, bool>(out, {&grad_output, &mask},
                                 [s](T g, bool m) { return m ? T(A(g) * s) : T(0); });
  });
}

}  // namespace kiln::cpu
