import torch

from samples.spec import S, T

NAN = float("nan")
INF = float("inf")
FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["uint8", "int8", "int32", "int64"]


def I(*shape, low=-5, high=6, fixed="int64"):  # noqa: E743  an integer tensor of a fixed dtype
    return T(*shape, kind="int", low=low, high=high, fixed=fixed)


def V(values, fixed=None, grad=True):  # a 1-d tensor of given values
    return T(len(values), kind="values", values=values, fixed=fixed, grad=grad)


def M(rows, fixed=None, grad=True):  # a 2-d tensor of given values
    return T(len(rows), len(rows[0]), kind="values", values=rows, fixed=fixed, grad=grad)


def dim_reduction(extra=()):
    """Cases every int[]? dim / keepdim reduction shares."""
    return [
        S(T(2, 3)), S(T(2, 3), 1), S(T(2, 3), -1, keepdim=True), S(T(2, 3, 4), (0, 2)),
        S(T(2, 3, 4), (0, 2), keepdim=True), S(T(2, 3, 4), (-1, 0)), S(T(())), S(T(()), 0),
        S(T(0, 3), 0), S(T(0, 3), 1), S(T(0, 3)), S(T(4, 5), 0),
        S(T(2, 3), 2),                                  # dim out of range
        S(T(2, 3), (1, 1)),                             # repeated dim
        S(T(40, 3000), 1, grad=False),                  # long rows
        S(T(3000, 40), 0, grad=False),                  # reduced dim outermost
    ] + list(extra)


def extreme_samples():
    """max.dim / min.dim: (values, indices), NaN and ties."""
    return [
        S(T(2, 3), 1), S(T(2, 3), 0, keepdim=True), S(T(2, 3, 4), -2), S(T(()), 0),
        S(T(0, 3), 0), S(T(0, 3), 1), S(T(2, 3), 2),
        S(M([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]]), 1, grad=False),             # ties: first index
        S(M([[1.0, NAN, 3.0], [NAN, 2.0, NAN]]), 1, dtypes=FLOATS, grad=False),  # NaN wins
        S(T(5, 70000), 1, grad=False),
    ]


def full_extreme_samples():
    """max() / min(): NaN, ties, empty."""
    return [
        S(T(2, 3)), S(T(())), S(T(0, 3)), S(T(100000), grad=False),
        S(V([1.0, 3.0, 3.0, 2.0])),                                  # ties share the gradient
        S(V([1.0, NAN, 3.0]), dtypes=FLOATS, grad=False),
        S(T(3, 4, kind="int"), grad=False),
    ]


def var_samples(extra=()):
    return [
        S(T(2, 3)), S(T(2, 3), 1), S(T(2, 3, 4), (0, 2), keepdim=True), S(T(4, 5), -1),
        S(T(()), grad=False), S(T(0, 3), 1), S(T(1, 3), 0, grad=False),  # N - 1 = 0: nan
        S(T(2, 3), 2), S(T(3, 70000), 1, grad=False), S(T(200000), grad=False), S(I(2, 3)),
    ] + list(extra)


def scan_samples():
    return [
        S(T(2, 3), 1), S(T(2, 3), 0), S(T(2, 3, 4), -2), S(T(()), 0), S(T(0, 3), 1), S(T(5), 0),
        S(T(2, 3), 2), S(T(300000), 0, grad=False), S(T(2, 3), 1, dtype="float64"),
        S(I(2, 3), 1), S(I(2, 3, fixed="int32"), 1, dtype="int32"),
        S(T(2, 3), 1, variant="out"),
    ]


def sort_samples(stable=False):
    kw = {"stable": True} if stable else {}
    return [
        S(T(2, 5), **kw), S(T(2, 5), dim=0, **kw), S(T(2, 5), descending=True, **kw),
        S(T(3, 4, 5), dim=1, descending=True, **kw), S(T(()), **kw), S(T(0, 3), **kw),
        S(T(4), dim=1, **kw),
        S(V([3.0, 1.0, 3.0, 2.0, 1.0, 3.0]), grad=False, **kw),                 # stable ties
        S(V([3.0, 1.0, 3.0, 2.0, 1.0, 3.0]), descending=True, grad=False, **kw),
        S(V([1.0, NAN, -INF, INF, NAN, 0.0]), dtypes=FLOATS, grad=False, **kw),
        S(V([1.0, NAN, -INF, INF, NAN, 0.0]), descending=True, dtypes=FLOATS, grad=False, **kw),
        # Unstable sort orders the ties of a long random input its own way.
        S(T(300000), grad=False, compare=None if stable else ["close", "skip"], **kw),
    ]


SAMPLES = {
    "sum": [S(T(2, 3)), S(T(2, 3), 1), S(T(2, 3, 4), (0, 2), keepdim=True), S(T(())),
            S(T(3, 4), dtype="float64"), S(T(0, 3), 0), S(T(200000), grad=False),
            S(T(3000, 40), 0, grad=False)],
    "mean": dim_reduction([
        S(I(2, 3)),                                          # integers: error
        S(I(2, 3), 1, dtype="float64"),
        S(T(2, 3), 1, variant="out"),
        S(T(2, 3), 1, dtype="int64"),                        # dtype must be floating
    ]),
    "prod": [
        S(T(2, 3)), S(T(())), S(T(0, 3)), S(T(2, 3), dtype="float64"), S(I(2, 3, low=-3, high=4)),
        S(V([2.0, 0.0, 3.0, 4.0])),                          # one zero: exact gradient
        S(V([2.0, 0.0, 3.0, 0.0])),                          # two zeros
        S(T(70000, kind="uniform", low=0.999, high=1.001), grad=False),
    ],
    "prod_dim_int": [
        S(T(2, 3), 1), S(T(2, 3), 0, keepdim=True), S(T(2, 3, 4), -1), S(T(()), 0),
        S(T(0, 3), 0), S(T(0, 3), 1), S(T(2, 3), 2),
        S(M([[2.0, 0.0, 3.0], [0.0, 1.5, 0.0]]), 1),
        S(I(2, 3, low=-3, high=4), 1), S(I(2, 3, fixed="int32"), 1, dtype="int32"),
    ],
    "max": full_extreme_samples(),
    "min": full_extreme_samples(),
    "max_dim": extreme_samples(),
    "min_dim": extreme_samples(),
    "amax": [
        S(T(2, 3)), S(T(2, 3), 1), S(T(2, 3, 4), (0, 2), keepdim=True), S(T(2, 3), ()),
        S(T(()), 0), S(T(0, 3), 0), S(T(0, 3), 1), S(T(0, 3)), S(T(2, 3), 2),
        S(M([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]]), 1),         # ties share the gradient evenly
        S(M([[1.0, NAN, 3.0], [2.0, 2.0, 1.0]]), 1, dtypes=FLOATS, grad=False),
        S(T(3000, 40), 0, grad=False), S(T(200000), grad=False),
        S(T(2, 3), 1, variant="out"),
    ],
    "amin": [
        S(T(2, 3)), S(T(2, 3), 1), S(T(2, 3, 4), (0, 2), keepdim=True), S(T(()), 0),
        S(T(0, 3), 0), S(T(0, 3), 1), S(T(2, 3), -3),
        S(M([[1.0, 1.0, 3.0], [2.0, 2.0, 1.0]]), 1),
        S(M([[1.0, NAN, 3.0], [2.0, 2.0, 1.0]]), 1, dtypes=FLOATS, grad=False),
        S(T(2, 3), 1, variant="out"),
    ],
    "argmax": [
        S(T(2, 3)), S(T(2, 3), 1), S(T(2, 3), 0, keepdim=True), S(T(2, 3), keepdim=True),
        S(T(())), S(T(0, 3)), S(T(0, 3), 0), S(T(0, 3), 1), S(T(2, 3), 2),
        S(M([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]]), 1), S(M([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]])),
        S(M([[1.0, NAN, 3.0], [NAN, 2.0, NAN]]), 1, dtypes=FLOATS),
        S(T(3, 4, kind="perm"), 1),
        S(T(70000)),
    ],
    "argmin": [
        S(T(2, 3)), S(T(2, 3), 1), S(T(2, 3), 0, keepdim=True), S(T(())), S(T(0, 3)),
        S(T(0, 3), 0), S(M([[1.0, 1.0, 3.0], [2.0, 2.0, 1.0]]), 1),
        S(M([[1.0, NAN, 3.0], [NAN, 2.0, NAN]]), 1, dtypes=FLOATS), S(T(70000)),
    ],
    "var_correction": var_samples([
        S(T(2, 3), 1, correction=0), S(T(2, 3), 1, correction=2), S(T(2, 3), 1, correction=3, grad=False),
        S(T(2, 3), 1, keepdim=True, correction=0), S(T(2, 3), 1, variant="out"),
    ]),
    "var": [S(T(2, 3)), S(T(2, 3), False), S(T(()), grad=False), S(T(0)), S(I(3))],
    "var_dim": [S(T(2, 3), 1), S(T(2, 3), (0, 1), False), S(T(2, 3, 4), -1, True, True),
                S(T(2, 3), 2), S(I(2, 3), 1)],
    "std_correction": var_samples([
        S(T(2, 3), 1, correction=0), S(T(2, 3), 1, correction=2), S(T(2, 3), 1, variant="out"),
    ]),
    "std": [S(T(2, 3)), S(T(2, 3), False), S(T(()), grad=False), S(I(3))],
    "std_dim": [S(T(2, 3), 1), S(T(2, 3), (0, 1), False), S(T(2, 3, 4), -1, True, True),
                S(T(2, 3), 2)],
    "var_mean_correction": [S(T(2, 3)), S(T(2, 3), 1), S(T(2, 3), 1, correction=0, keepdim=True),
                            S(T(0, 3), 1), S(I(2, 3))],
    "std_mean_correction": [S(T(2, 3)), S(T(2, 3), (0,)), S(T(2, 3), 1, correction=0, keepdim=True),
                            S(I(2, 3))],
    "norm": [
        S(T(2, 3)), S(T(2, 3), 1), S(T(2, 3), 1.0), S(T(2, 3), 3.0, 1), S(T(2, 3), 0.5, 1),
        S(T(2, 3), INF, 1), S(T(2, 3), -INF, 1), S(T(2, 3), 0, 1, grad=True),
        S(T(2, 3, 4), 2, (0, 2), True), S(T(()), 2), S(T(0, 3), 2, 1), S(T(2, 3), 2, 3),
        S(V([3.0, -4.0, 0.0, 4.0]), INF, grad=False),          # ties in the inf-norm
        S(T(70000), grad=False), S(T(2, 3), 2, 1, dtype="float64"), S(I(2, 3)),
    ],
    "logsumexp": [
        S(T(2, 3), 1), S(T(2, 3), (0, 1)), S(T(2, 3, 4), -1, True), S(T(()), 0),
        S(T(0, 3), 1), S(T(0, 3), 0), S(T(2, 3), 2), S(I(2, 3), 1),
        S(M([[1.0, -INF, 3.0], [-INF, -INF, -INF]]), 1, dtypes=FLOATS, grad=False),
        S(M([[1.0, INF, 3.0], [NAN, 0.0, 1.0]]), 1, dtypes=FLOATS, grad=False),
        S(T(2, 3, kind="uniform", low=80, high=100), 1),     # large: no overflow
        S(T(3, 70000), 1, grad=False), S(T(100, 1000), 1, grad=False),
        S(T(2, 3), 1, variant="out"),
    ],
    "cumsum": scan_samples(),
    "cumprod": [s for s in scan_samples() if s.args[0].shape != (300000,)] + [
        S(T(3, 10, kind="uniform", low=0.5, high=1.5), 1), S(T(4, 200), 1, grad=False),
        S(M([[2.0, 0.0, 3.0, 0.0, 1.5], [0.0, 2.0, 0.5, 3.0, 1.0]]), 1),   # exact with zeros
        S(M([[2.0, 0.0, 3.0, 0.0, 1.5], [0.0, 2.0, 0.5, 3.0, 1.0]]), 0)],
    "all": [S(T(2, 3)), S(T(())), S(T(0, 3)), S(V([1.0, NAN, 2.0]), dtypes=FLOATS),
            S(V([1.0, 0.0, 2.0])), S(T(3, kind="bool", fixed="bool"))],
    "all_dim": [S(T(2, 3), 1), S(T(2, 3), 0, True), S(T(()), 0), S(T(0, 3), 1), S(T(0, 3), 0),
                S(M([[1.0, 0.0], [2.0, 3.0]]), 1), S(T(2, 3), 2)],
    "any": [S(T(2, 3)), S(T(())), S(T(0, 3)), S(V([0.0, NAN, 0.0]), dtypes=FLOATS),
            S(V([0.0, 0.0, 0.0])), S(T(70000))],
    "any_dim": [S(T(2, 3), 1), S(T(2, 3), 0, True), S(T(()), 0), S(T(0, 3), 1), S(T(0, 3), 0),
                S(M([[0.0, 0.0], [2.0, 0.0]]), 1), S(T(2, 3), -3)],
    # PyTorch orders tied entries arbitrarily: integer inputs (full of ties) check values only.
    "topk": [
        S(T(2, 5), 2, dtypes=FLOATS), S(T(2, 5), 2, largest=False, dtypes=FLOATS),
        S(T(2, 5), 1, dim=0, dtypes=FLOATS), S(T(3, 4, 5), 3, 1, dtypes=FLOATS),
        S(T(2, 5), 0), S(T(2, 5), 5, dtypes=FLOATS), S(T(2, 5), 6), S(T(()), 1), S(T(0, 3), 2),
        S(T(2, 5), 2, dim=2),
        S(T(2, 5), 2, dtypes=INTS, compare=["close", "skip"]),
        S(T(3, 4, 5), 3, 1, largest=False, dtypes=INTS, compare=["close", "skip"]),
        S(V([1.0, NAN, 3.0, 2.0, NAN]), 3, dtypes=["bfloat16", "float32", "float64"], grad=False),
        S(V([1.0, NAN, 3.0, 2.0, NAN]), 2, largest=False, dtypes=["bfloat16", "float32", "float64"],
          grad=False),
        S(T(4, 1000), 10, grad=False, compare=["close", "skip"]),
    ],
    "sort": sort_samples(),
    "sort_stable": sort_samples(stable=True),
    "argsort": [S(T(2, 5)), S(T(2, 5), 0), S(T(2, 5), descending=True), S(T(())), S(T(0, 3)),
                S(V([3.0, 1.0, 3.0, 2.0, 1.0, 3.0])), S(T(2, 5), 2)],
    "count_nonzero_dim_IntList": [S(T(2, 3), (0, 1)), S(M([[1.0, 0.0], [0.0, 3.0]]), (1,)),
                                  S(T(2, 3, 4), (0, 2)), S(T(0, 3), (0,)), S(T(2, 3), (1, 1)),
                                  S(T(2, 3), (2,))],
    "count_nonzero": [S(T(2, 3)), S(M([[1.0, 0.0], [0.0, 3.0]]), 1), S(T(()), 0), S(T(0, 3)),
                      S(V([0.0, NAN, 0.0]), dtypes=FLOATS), S(T(2, 3), 2)],
}
