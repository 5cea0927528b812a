// Intra-op parallelism: one process-wide pool of worker threads.
//
// parallel_for splits [begin, end) into chunks of at least `grain` and runs `fn(lo, hi)` on
// them; callers must write disjoint outputs per chunk, so results never depend on the thread
// count. Reductions use parallel_chunks, whose chunk boundaries depend on the problem size
// only, and combine the per-chunk partials in order: the same bits on 1 thread or 16.
// Nested calls (from inside a chunk) and calls while another op holds the pool run inline.
#pragma once

#include <cstdint>
#include <functional>

namespace kiln {

int num_threads();
// torch.set_num_threads: 1 turns the pool off. KILN_NUM_THREADS sets the initial value.
void set_num_threads(int n);
bool in_parallel_region();

namespace detail {
void parallel_run(int64_t num_chunks, const std::function<void(int64_t)>& chunk_fn);
}

template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const int nt = num_threads();
  if (n <= grain || nt == 1 || in_parallel_region()) {
    fn(begin, end);
    return;
  }
  int64_t chunks = (n + grain - 1) / grain;
  if (chunks > nt) chunks = nt;
  const int64_t step = (n + chunks - 1) / chunks;
  detail::parallel_run(chunks, [&](int64_t c) {
    const int64_t lo = begin + c * step;
    const int64_t hi = lo + step < end ? lo + step : end;
    if (lo < hi) fn(lo, hi);
  });
}

// Runs fn(chunk_index, lo, hi) for fixed chunks of `chunk` elements covering [0, n); the
// chunking depends on n and `chunk` only. Returns the number of chunks.
template <typename F>
int64_t parallel_chunks(int64_t n, int64_t chunk, const F& fn) {
  if (n <= 0) return 0;
  const int64_t chunks = (n + chunk - 1) / chunk;
  auto run = [&](int64_t c) {
    const int64_t lo = c * chunk;
    fn(c, lo, lo + chunk < n ? lo + chunk : n);
  };
  if (chunks == 1 || num_threads() == 1 || in_parallel_region()) {
    for (int64_t c = 0; c < chunks; ++c) run(c);
  } else {
    detail::parallel_run(chunks, run);
  }
  return chunks;
}

}  // namespace kiln
