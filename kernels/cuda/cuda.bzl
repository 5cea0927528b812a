"""The CUDA backend's build: nvcc for .cu files (Bazel 4.2 has no CUDA rules) and the one
list that binaries and tests add to their deps to get the backend when the toolkit is there.

Everything here is select-free: @local_cuda//:defs.bzl says at configure time whether the
toolkit exists (KILN_CUDA=0 turns it off), and without it these macros make nothing, so the
CPU build is exactly what it was.
"""

load("@local_cuda//:defs.bzl", "CUDA_ENABLED", "NVCC")

# Add to the deps of any binary or test that should run ops on CUDA devices. It registers the
# backend (allocator, copies) and the kernel binder at static-init time.
CUDA_BACKEND_DEPS = ["//engine/ops:bind_cuda"] if CUDA_ENABLED else []

# Host-side code that names the CUDA runtime API (cuda_runtime_api.h) depends on
# @local_cuda//:headers (the toolkit's include dir, symlinked into that repository).
CUDA_COPTS = []

# Both targets of the issue; sm_90 also covers later parts through its PTX-free cubin only, so
# a newer GPU needs a rebuild with its arch added here.
_GENCODE = [
    "-gencode arch=compute_80,code=sm_80",
    "-gencode arch=compute_90,code=sm_90",
]

_NVCC_FLAGS = _GENCODE + [
    "-O3",
    "--std=c++17",
    "-Xcompiler -fPIC",
    "-Xcompiler -Wall",
    "-Xcompiler -Wextra",
    "-Werror all-warnings",
    "-Xcompiler -Werror",
    "--expt-relaxed-constexpr",
    "-lineinfo",
]

def cuda_objects(name, srcs, hdrs):
    """One genrule per .cu file (so a 2-core build compiles them in parallel and rebuilds only
    what changed) into position-independent objects; returns their labels."""
    objs = []
    for src in srcs:
        stem = src[:-len(".cu")]
        out = "_nvcc/%s.pic.o" % stem
        genrule_name = "%s_%s_nvcc" % (name, stem)
        native.genrule(
            name = genrule_name,
            srcs = [src] + hdrs,
            outs = [out],
            cmd = " ".join([NVCC] + _NVCC_FLAGS + [
                "-I.",
                "-I$(GENDIR)",
                "-c $(location %s)" % src,
                "-o $@",
            ]),
            message = "nvcc " + src,
        )
        objs.append(":" + genrule_name)
    return objs

def kiln_cuda_library(name, cu_srcs, cu_hdrs, srcs, hdrs, deps, cuda_deps):
    """The backend as one cc_library: nvcc objects + host .cc files, or nothing at all when the
    toolkit is absent (then `name` is an empty library, so labels still resolve)."""
    if not CUDA_ENABLED:
        native.cc_library(name = name)
        return
    objs = cuda_objects(name, cu_srcs, cu_hdrs)
    native.cc_library(
        name = name,
        srcs = srcs + objs,
        hdrs = hdrs + cu_hdrs,
        copts = CUDA_COPTS,
        deps = deps + cuda_deps,
        alwayslink = True,
    )

def kiln_cuda_cc_library(name, **kwargs):
    """A cc_library that exists only in CUDA builds (an empty one otherwise)."""
    if not CUDA_ENABLED:
        native.cc_library(name = name)
        return
    native.cc_library(name = name, **kwargs)
