#include "kernels/cpu/index.h"
#include "kernels/cpu/index_common.h"

namespace kiln::cpu {

// out (sum r), repeats' dtype = [0] * r[0] ++ [1] * r[1] ++ ...; repeats 1-d int32/int64, r >= 0.
Tensor repeat_interleave_Tensor(const Tensor& repeats, std::optional<int64_t> output_size) {
  KILN_CHECK(repeats.dim() == 1, "repeat_interleave only accept 1D vector as repeat");
  const Tensor r_t = index_detail::contiguous_as(repeats, DType::kInt64);
  const int64_t* r = r_t.data_ptr<int64_t>();
  int64_t total = 0;
  for (int64_t i = 0; i < r_t.numel(); ++i) {
    KILN_CHECK(r[i] >= 0, "repeat_interleave: repeats can not be negative");
    KILN_CHECK_VALUE(!__builtin_add_overflow(total, r[i], &total),
                     "repeat_interleave: the sum of repeats overflows");
  }
  KILN_CHECK(!output_size || *output_size == total, "repeat_interleave: output_size (",
             output_size.value_or(0), ") does not match the sum of repeats (", total, ")");
  Tensor out = empty_tensor({total}, DType::kInt64, repeats.device());
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < r_t.numel(); ++i) {
    for (int64_t k = 0; k < r[i]; ++k) *o++ = i;
  }
  return index_detail::contiguous_as(out, repeats.dtype());  // int32 repeats give int32
}

}  // namespace kiln::cpu
