"""Finds the CUDA toolkit at configure time (no network).

Writes @local_cuda with:
  defs.bzl   CUDA_ENABLED (bool) and NVCC (path), read by //kernels/cuda:BUILD
  BUILD      :cuda_runtime, :cublas, :cudnn, :nccl link targets (empty when absent)
With no toolkit the repository still exists, CUDA_ENABLED is False and the CPU build is
unchanged. KILN_CUDA=0 turns the CUDA backend off even when the toolkit is present.
"""

def _target(name, opts, enabled):
    return "cc_library(\n    name = %r,\n    linkopts = %r,\n)\n" % (name, opts if enabled else [])

def _cuda_configure_impl(ctx):
    root = ctx.os.environ.get("CUDA_PATH", "/usr/local/cuda")
    nvcc = ctx.path(root + "/bin/nvcc")
    enabled = nvcc.exists and ctx.os.environ.get("KILN_CUDA", "1") != "0"
    ctx.file("defs.bzl", "CUDA_ENABLED = %s\nCUDA_ROOT = %r\nNVCC = %r\n" % (
        enabled,
        root,
        str(nvcc) if enabled else "",
    ))
    lib = root + "/lib64"
    cudnn_dirs = [lib, "/usr/lib/x86_64-linux-gnu"]
    build = ['package(default_visibility = ["//visibility:public"])', ""]

    rpath = "-Wl,-rpath," + lib
    build.append(_target("cuda_runtime", ["-L" + lib, rpath, "-lcudart", "-ldl", "-lrt", "-lpthread"], enabled))
    build.append(_target("cublas", ["-L" + lib, rpath, "-lcublasLt", "-lcublas"], enabled))
    build.append(_target("cudnn", ["-L" + d for d in cudnn_dirs] + [rpath, "-lcudnn"], enabled))
    build.append(_target("nccl", ["-L" + d for d in cudnn_dirs] + [rpath, "-lnccl"], enabled))
    # The toolkit's headers, symlinked into the repository so host code (cuda_runtime_api.h,
    # cublas) can include them under Bazel's sandbox; only the top level and crt/ are
    # declared (what the runtime and library headers include), not cub/thrust.
    if enabled:
        ctx.symlink(root + "/include", "include")
        build.append("cc_library(\n    name = 'headers',\n    hdrs = glob(['include/*.h', 'include/*.hpp', 'include/crt/**']),\n    includes = ['include'],\n)\n")
    else:
        build.append("cc_library(\n    name = 'headers',\n    includes = [],\n)\n")
    ctx.file("BUILD", "\n".join(build))

cuda_configure = repository_rule(
    implementation = _cuda_configure_impl,
    environ = ["CUDA_PATH", "KILN_CUDA"],
    local = True,
)
