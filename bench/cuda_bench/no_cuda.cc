// cuda_bench in a build without the CUDA toolkit.
#include <cstdio>

int main() {
  std::fprintf(stderr, "cuda_bench: this build has no CUDA backend\n");
  return 1;
}
