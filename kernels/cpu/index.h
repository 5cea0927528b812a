// CPU kernels of the index family (engine/ops/table/index.yaml): joins, gathers, scatters,
// advanced indexing, masks, flips, triangles, padding.
//
// Outputs come first and arrive allocated with the op's shape and dtype (the dynamic-shape
// ops return theirs). Shapes and dtypes were checked by the op's rules; index values are
// checked here, all of them before anything is written, so an in-place op that fails leaves
// self untouched. `out` may be `self` itself (the in-place variants).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln::cpu {

// cat.cc: out (.., sum of n_i, ..) from tensors (.., n_i, ..); 1-d empty tensors skipped.
void cat(const Tensor& out, const std::vector<Tensor>& tensors, int64_t dim);

// index_select.cc: out (.., k, ..) = self (.., index[k], ..); index int32/int64, 0-d or 1-d.
void index_select(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index);
// out = self with out (.., index[k], ..) += alpha * source (.., k, ..).
void index_add(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
               const Tensor& source, const Scalar& alpha);

// scatter.cc (dim 0 shown): out[i][j] = self[index[i][j]][j], out shaped like index.
void gather(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
            bool sparse_grad);
// out = self with out[index[i][j]][j] = src[i][j] (or value; "add"/"multiply" combine).
void scatter_src(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& src);
void scatter_value(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                   const Scalar& value);
void scatter_reduce(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                    const Tensor& src, const std::string& reduce);
void scatter_value_reduce(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                          const Scalar& value, const std::string& reduce);
void scatter_add(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& src);

// advanced_index.cc: out = self[indices] (None entries keep a dim, int64 index tensors
// broadcast together, bool/uint8 masks select); index_put writes values (broadcast) there.
void index(const Tensor& out, const Tensor& self, const std::vector<Tensor>& indices);
void index_put(const Tensor& out, const Tensor& self, const std::vector<Tensor>& indices,
               const Tensor& values, bool accumulate);

// masked.cc: out = mask ? value : self (broadcast); masked_select returns the selected
// entries as 1-d; nonzero returns their coordinates [n, ndim] (int64).
void masked_fill_Scalar(const Tensor& out, const Tensor& self, const Tensor& mask,
                        const Scalar& value);
void masked_fill_Tensor(const Tensor& out, const Tensor& self, const Tensor& mask,
                        const Tensor& value);
Tensor masked_select(const Tensor& self, const Tensor& mask);
Tensor nonzero(const Tensor& self);

// repeat_interleave.cc: [0]*r0 ++ [1]*r1 ++ ... for a 1-d int repeats (of its dtype).
Tensor repeat_interleave_Tensor(const Tensor& repeats, std::optional<int64_t> output_size);

// flip.cc: out = self reversed along dims.
void flip(const Tensor& out, const Tensor& self, IntList dims);

// triangle.cc: (.., i, j) kept where j - i <= diagonal (tril) / >= diagonal (triu), else 0.
void tril(const Tensor& out, const Tensor& self, int64_t diagonal);
void triu(const Tensor& out, const Tensor& self, int64_t diagonal);

// pad.cc: out = self padded with value by (left, right) pairs from the last dim backwards;
// negative pads crop.
void constant_pad_nd(const Tensor& out, const Tensor& self, IntList pad, const Scalar& value);

}  // namespace kiln::cpu
