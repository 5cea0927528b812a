// Entry points of sort.cu (sort, sort.stable, topk; called by sort.cc) and
// repeat_interleave.cu and index_advanced.cu (called by index_advanced.cc). Plain
// structs only, like launchers.h. Functions returning int give a cudaError_t's value.
#pragma once

#include "kernels/cuda/launch_args.h"

namespace kiln::cuda {

// The lanes of a sort: `ndim` outer dims (every dim but the sorted one, coalesced) with the
// strides of self (0), values (1) and indices (2) over them, and each one's step along the
// sorted dim. Lane numbers count the outer positions in row-major order.
struct LaneGeom {
  int32_t ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[3][kMaxDims] = {};
  int64_t step[3] = {};
};

// Lanes [first, first + lanes) of self (storage dtype `dtype`, Dt code), `len` elements each,
// as order-preserving uint64 keys (NaN above +inf, -0.0 equal to 0.0) into keys[lanes * len]
// and their positions along the lane into pos. offs[s] = s * len for s in [0, lanes].
bool launch_sort_keys(const LaneGeom& g, const void* self, int32_t dtype, int64_t len,
                      int64_t first, int64_t lanes, unsigned long long* keys, int64_t* pos,
                      int* offs, const Launch& l);
// CUB's stable segmented radix sort of (keys, pos) pairs over `lanes` segments of `len`;
// with temp == nullptr only sets *temp_bytes.
int launch_sort_pairs(void* temp, size_t* temp_bytes, const unsigned long long* keys_in,
                      unsigned long long* keys_out, const int64_t* pos_in, int64_t* pos_out,
                      int64_t len, int64_t lanes, const int* offs, bool descending,
                      const Launch& l);
// The first k of each sorted lane: values[j] = self[pos[j]], indices[j] = pos[j]. `size`:
// the element size of self and values in bytes.
bool launch_sort_gather(const LaneGeom& g, const void* self, void* values, int64_t* indices,
                        int32_t dtype, int64_t len, int64_t k, int64_t first, int64_t lanes,
                        const int64_t* pos, const Launch& l);

// repeat_interleave.cu. r: n int64 repeats (contiguous). cum[i] = r[0] + ... + r[i],
// saturating at INT64_MAX; info[0] = 1 if some repeat is negative, info[1] = the total.
int repeat_scan_temp_bytes(int64_t n, size_t* temp_bytes);
int launch_repeat_scan(void* temp, size_t temp_bytes, const int64_t* r, int64_t* cum,
                       int64_t n, int64_t* info, const Launch& l);
// out[j] = the i with cum[i - 1] <= j < cum[i], for j < total.
bool launch_repeat_fill(const int64_t* cum, int64_t n, int64_t* out, int64_t total,
                        const Launch& l);

// index_advanced.cu. it: (offsets int64, v) over the broadcast index shape, v an index
// tensor for a dim of `size` elements `stride` apart. mode 0: bad[0] = the least linear
// position whose value lies outside [-size, size) (bad[0] preset to INT64_MAX); mode 1:
// bad[1] = the value at position bad[0]; mode 2: offsets += (v wrapped to [0, size)) * stride.
bool launch_index_offsets(const Iter& it, int64_t size, int64_t stride, int mode, int64_t* bad,
                          const Launch& l);

}  // namespace kiln::cuda
