// Binds the CUDA kernels (kernels/cuda) to the ops of the table, one line per op, and
// registers the binder with the kernel table at static-init time. An op is reached here only
// for the dtypes its table entry lists under `cuda:`.
#include "engine/ops/bind_cuda.h"

#include "engine/ops/bind.h"
#include "kernels/cuda/binary.h"
#include "kernels/cuda/copy.h"
#include "kernels/cuda/index.h"
#include "kernels/cuda/index_advanced.h"  // cudaidx
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/sort.h"  // cudaidx
#include "kernels/cuda/unary.h"

namespace kiln {

void bind_cuda(KernelTable& t) {
  // ---- creation and convert: fill_, copy_ ----
  t.fill_ = cuda::fill;
  t.copy_ = cuda::copy;
  // (end of creation and convert)

  // ---- unary (kernels/cuda/unary.h) ----
  t.neg = cuda::neg;
  t.exp = cuda::exp;
  t.expm1 = cuda::expm1;
  t.log = cuda::log;
  t.log1p = cuda::log1p;
  t.log2 = cuda::log2;
  t.log10 = cuda::log10;
  t.sqrt = cuda::sqrt;
  t.rsqrt = cuda::rsqrt;
  t.reciprocal = cuda::reciprocal;
  t.sin = cuda::sin;
  t.cos = cuda::cos;
  t.tan = cuda::tan;
  t.tanh = cuda::tanh;
  t.sigmoid = cuda::sigmoid;
  t.erf = cuda::erf;
  t.abs = cuda::abs;
  t.sign = cuda::sign;
  t.square = cuda::square;
  t.floor = cuda::floor;
  t.ceil = cuda::ceil;
  t.round = cuda::round;
  t.trunc = cuda::trunc;
  t.clamp = cuda::clamp;
  t.clamp_min = cuda::clamp_min;
  t.clamp_max = cuda::clamp_max;
  t.logical_not = cuda::logical_not;
  t.isnan = cuda::isnan;
  t.isinf = cuda::isinf;
  t.isfinite = cuda::isfinite;
  t.nan_to_num = cuda::nan_to_num;
  t.relu = cuda::relu;
  t.gelu = cuda::gelu;
  t.silu = cuda::silu;
  t.leaky_relu = cuda::leaky_relu;
  t.elu = cuda::elu;
  t.softplus = cuda::softplus;
  t.hardtanh = cuda::hardtanh;
  t.relu6 = cuda::relu6;
  t.log_sigmoid = cuda::log_sigmoid;
  t.mish = cuda::mish;
  t.hardswish = cuda::hardswish;
  t.hardsigmoid = cuda::hardsigmoid;
  t.clamp_Tensor = cuda::clamp_tensor;
  // (end of unary)

  // ---- binary (kernels/cuda/binary.h) ----
  t.add = cuda::add;
  t.sub = cuda::sub;
  t.mul = cuda::mul;
  t.div = cuda::div;
  t.pow_Tensor_Tensor = cuda::pow_tensor_tensor;
  t.pow_Tensor_Scalar = cuda::pow_tensor_scalar;
  t.pow_Scalar = cuda::pow_scalar;
  t.remainder = cuda::remainder;
  t.fmod = cuda::fmod;
  t.maximum = cuda::maximum;
  t.minimum = cuda::minimum;
  t.atan2 = cuda::atan2;
  t.xlogy = cuda::xlogy;
  t.eq = cuda::eq;
  t.ne = cuda::ne;
  t.lt = cuda::lt;
  t.le = cuda::le;
  t.gt = cuda::gt;
  t.ge = cuda::ge;
  t.logical_and = cuda::logical_and;
  t.logical_or = cuda::logical_or;
  t.logical_xor = cuda::logical_xor;
  t.bitwise_and = cuda::bitwise_and;
  t.bitwise_or = cuda::bitwise_or;
  t.bitwise_xor = cuda::bitwise_xor;
  t.bitwise_left_shift = cuda::bitwise_left_shift;
  t.bitwise_right_shift = cuda::bitwise_right_shift;
  t.where = cuda::where;
  t.lerp_Scalar = cuda::lerp_scalar;
  t.lerp_Tensor = cuda::lerp_tensor;
  t.addcmul = cuda::addcmul;
  t.addcdiv = cuda::addcdiv;
  t.fmax = cuda::fmax;
  t.fmin = cuda::fmin;
  t.hypot = cuda::hypot;
  t.copysign = cuda::copysign;
  t.floor_divide = cuda::floor_divide;
  // (end of binary)

  // ---- reduce: reductions and scans; sort/topk: cudaidx section (kernels/cuda/reduce.h) ----
  t.sum = cuda::sum;
  t.mean = cuda::mean;
  t.prod = cuda::prod;
  t.prod_dim_int = cuda::prod_dim;
  t.max = cuda::max_all;
  t.max_dim = cuda::max_dim;
  t.min = cuda::min_all;
  t.min_dim = cuda::min_dim;
  t.amax = cuda::amax;
  t.amin = cuda::amin;
  t.argmax = cuda::argmax;
  t.argmin = cuda::argmin;
  t.var_correction = cuda::var;
  t.std_correction = cuda::std_;
  t.norm = cuda::norm;
  t.logsumexp = cuda::logsumexp;
  t.cumsum = cuda::cumsum;
  t.cumprod = cuda::cumprod;
  t.all = cuda::all;
  t.all_dim = cuda::all_dim;
  t.any = cuda::any;
  t.any_dim = cuda::any_dim;
  t.count_nonzero_dim_IntList = cuda::count_nonzero_dims;
  t.count_nonzero = cuda::count_nonzero;
  // (end of reduce)

  // ---- index: gathers, scatters, masks, flips, triangles, padding, cat; advanced indexing
  // and repeat_interleave in the cudaidx section (kernels/cuda/index.h) ----
  t.cat = cuda::cat;
  t.index_select = cuda::index_select;
  t.gather = cuda::gather;
  t.scatter_src = cuda::scatter_src;
  t.scatter_value = cuda::scatter_value;
  t.scatter_reduce = cuda::scatter_reduce;
  t.scatter_value_reduce = cuda::scatter_value_reduce;
  t.scatter_add = cuda::scatter_add;
  t.index_add = cuda::index_add;
  t.masked_fill_Scalar = cuda::masked_fill_Scalar;
  t.masked_fill_Tensor = cuda::masked_fill_Tensor;
  t.masked_select = cuda::masked_select;
  t.nonzero = cuda::nonzero;
  t.flip = cuda::flip;
  t.tril = cuda::tril;
  t.triu = cuda::triu;
  t.constant_pad_nd = cuda::constant_pad_nd;
  // (end of index)

  // ---- nn, linalg, optim: engine/ops/bind_cuda_nn.cc ----
  bind_cuda_nn(t);
  // (end of nn)

  // ---- cudaidx: sort, topk (kernels/cuda/sort.h) ----
  t.sort = cuda::sort;
  t.sort_stable = cuda::sort_stable;
  t.topk = cuda::topk;
  // advanced indexing, repeat_interleave (kernels/cuda/index_advanced.h)
  t.index = cuda::index;
  t.index_put = cuda::index_put;
  t.repeat_interleave_Tensor = cuda::repeat_interleave_Tensor;
  // (end of cudaidx)
}

namespace {

[[maybe_unused]] const bool kRegistered = [] {
  register_kernel_binder(DeviceType::kCUDA, bind_cuda);
  return true;
}();

}  // namespace

}  // namespace kiln
