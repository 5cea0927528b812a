import torch
import torch.nn.functional as F

from samples.spec import S, T

NAN = float("nan")
INF = float("inf")
FLOATS = ["float16", "bfloat16", "float32", "float64"]
SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 1e-30, 50.0, -50.0, 100.0, -100.0]
# Float functions: no result past float16's range (the reference is float64 values).
SPECIAL_F = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 1e-30, 10.0, -10.0, -50.0, -100.0]


def I(*shape, low=-5, high=6, fixed="int64"):  # noqa: E743  an integer tensor of a fixed dtype
    return T(*shape, kind="int", low=low, high=high, fixed=fixed)


def V(values, fixed=None):  # a tensor of given values, out of the gradient checks
    return T(len(values), kind="values", values=values, fixed=fixed, grad=False)


def floating(kind="randn", low=None, high=None, special=SPECIAL_F, int_low=-5):
    """A float function (integers compute in the default float type)."""
    def t(*shape, fixed=None):
        return T(*shape, kind=kind, low=low, high=high, fixed=fixed)
    return [
        S(t(2, 3)),
        S(t(())),
        S(t(0, 3)),
        S(I(4, low=int_low)),                                 # int64 -> float32
        S(I(3, low=max(int_low, 0), high=3, fixed="uint8")),
        S(T(3, kind="bool", fixed="bool")),
        S(V(special), dtypes=FLOATS, grad=False),             # NaN, inf, -0.0
        S(t(2, 3), variant="inplace"),
        S(I(3), variant="inplace"),                           # float result into int64: error
        S(t(3), variant="out"),
        S(t(3, fixed="float32"), variant="out", out_dtype="int64"),  # not castable
    ]


def integral_kept(extra=()):
    """abs, sign, square, rounding: integers keep their dtype."""
    return [
        S(T(2, 3)), S(T(())), S(T(0, 3)),
        S(T(5, kind="uniform", low=-4, high=4)),
        S(T(2, 3), variant="inplace"),
        S(T(3), variant="out"),
        S(T(3, fixed="float32"), variant="out", out_dtype="bool"),  # not castable
    ] + list(extra)


def act(fn, *args, grad_kind="randn", special=True, **kwargs):
    """An activation: torch.nn.functional's fn."""
    call = (lambda *a, **k: fn(*a, **k))
    out = [
        S(T(2, 3, kind=grad_kind), *args, torch=call, **kwargs),
        S(T(()), *args, torch=call, **kwargs),
        S(T(0, 3), *args, torch=call, **kwargs),
        S(I(3), *args, torch=call, **kwargs),                # integers are rejected
    ]
    if special:
        out.append(S(V(SPECIAL), *args, torch=call, dtypes=FLOATS, grad=False, **kwargs))
    return out


ROUNDING = [S(V([0.5, 1.5, 2.5, -0.5, -1.5, -2.7, 2.7, -0.0, NAN, INF, -INF]), dtypes=FLOATS),
            S(T(3, kind="bool", fixed="bool"))]                   # bool is rejected

SAMPLES = {
    "neg": [S(T(2, 3)), S(T(5), variant="inplace"), S(T(3, 1), variant="out")],
    "exp": [S(T(2, 3)), S(T(4, kind="int", low=-3, high=3, fixed="int64")), S(T(())),
            S(T(3), variant="inplace")],
    "expm1": floating(),
    "log": floating("positive", int_low=1),
    "log1p": floating("positive", int_low=0),
    "log2": floating("positive", int_low=1),
    "log10": floating("positive", int_low=1),
    "sqrt": floating("positive", int_low=0),
    "rsqrt": floating("positive", int_low=1),
    "reciprocal": floating("positive", int_low=1),
    "sin": floating(),
    "cos": floating(),
    "tan": floating("uniform", -1.2, 1.2, int_low=-1),
    "tanh": floating(),
    "sigmoid": floating(),
    "erf": floating(),
    "abs": integral_kept([
        S(V([-128, 127, 0, -5], fixed="int8")),              # -128 wraps to itself
        S(V([NAN, -INF, -0.0, 2.0]), dtypes=FLOATS, grad=False),
        S(T(3, kind="bool", fixed="bool")),                  # bool is rejected
    ]),
    "sign": integral_kept([
        S(V([NAN, -INF, INF, -0.0, 0.0, -2.0]), dtypes=FLOATS, grad=False),
        S(T(3, kind="bool", fixed="bool")),
    ]),
    "square": integral_kept([
        S(T(3, kind="bool", fixed="bool")),                  # bool -> int64
        S(V([100, -100, 12], fixed="int8")),                 # wraps
        S(T(3, kind="bool", fixed="bool"), variant="inplace"),  # int64 into bool: error
    ]),
    "floor": integral_kept(ROUNDING),
    "ceil": integral_kept(ROUNDING),
    "round": integral_kept(ROUNDING),
    "trunc": integral_kept(ROUNDING),
    "clamp": [
        S(T(2, 3), -0.5, 0.5),
        S(T(2, 3), min=-0.3),
        S(T(2, 3), max=0.2),
        S(T(2, 3), 0.5, -0.5),                               # min > max: max
        S(T(()), -0.5, 0.5),
        S(T(0, 3), -0.5, 0.5),
        S(I(4), min=0.5),                                    # int tensor, float bound: float32
        S(I(4), 0, 2),
        S(T(3, kind="bool", fixed="bool"), min=0),           # bool with int bound: int64
        S(V([NAN, 1.0, -INF, INF]), -1.0, 1.0, dtypes=FLOATS, grad=False),
        S(V([0.0, 1.0]), NAN, 1.0, dtypes=FLOATS, grad=False),
        S(T(3)),                                             # neither bound: error
        S(T(2, 3), -0.5, 0.5, variant="inplace"),
        S(I(3), min=0.5, variant="inplace"),                 # float result into int64: error
        S(T(3), -0.5, 0.5, variant="out"),
    ],
    "clamp_Tensor": [
        S(T(2, 3), T(3, kind="uniform", low=-1, high=0), T(2, 1, kind="uniform", low=0, high=1),
          torch=lambda *a, **k: torch.clamp(*a, **k)),
        S(T(2, 3), min=T(3), torch=lambda *a, **k: torch.clamp(*a, **k)),
        S(T(2, 3), max=T(()), torch=lambda *a, **k: torch.clamp(*a, **k)),
        S(T(3), T(3), T(3), torch=lambda *a, **k: torch.clamp(*a, **k)),  # some min > max
        S(T(3), T(2, 3), T(3), grad=False,  # broadcasts up (PyTorch 1.13 cannot backward it)
          torch=lambda *a, **k: torch.clamp(*a, **k)),
        S(I(3), T(3, fixed="float32"), torch=lambda *a, **k: torch.clamp(*a, **k)),
        S(T(3), T(2), torch=lambda *a, **k: torch.clamp(*a, **k)),  # does not broadcast
        S(T(2, 3), T(3), T(3), variant="inplace",
          torch=lambda s, *a, **k: s.clamp_(*a, **k)),
        S(T(3), T(3), T(3), variant="out", torch=lambda *a, **k: torch.clamp(*a, **k)),
    ],
    "clamp_min": [
        S(T(2, 3), -0.2), S(T(()), 0.0), S(T(0, 3), 0.0), S(I(4), 0.5), S(I(4), 1),
        S(V([NAN, -INF, 1.0]), 0.0, dtypes=FLOATS, grad=False),
        S(T(2, 3), 0.1, variant="inplace"), S(T(3), 0.1, variant="out"),
    ],
    "clamp_max": [
        S(T(2, 3), 0.2), S(T(()), 0.0), S(T(0, 3), 0.0), S(I(4), 0.5), S(I(4), 1),
        S(V([NAN, INF, 1.0]), 0.0, dtypes=FLOATS, grad=False),
        S(T(2, 3), 0.1, variant="inplace"), S(T(3), 0.1, variant="out"),
    ],
    "logical_not": [
        S(T(2, 3)), S(T(())), S(T(0, 3)),
        S(V([NAN, 0.0, -0.0, 1e-30]), dtypes=FLOATS),
        S(T(2, 3), variant="inplace"),                       # bool result cast to self's dtype
        S(T(3), variant="out"), S(T(3), variant="out", out_dtype="float32"),
    ],
    "isnan": [S(T(2, 3)), S(T(())), S(T(0, 3)), S(V([NAN, INF, -INF, 0.0]), dtypes=FLOATS)],
    "isinf": [S(T(2, 3)), S(T(())), S(T(0, 3)), S(V([NAN, INF, -INF, 0.0]), dtypes=FLOATS)],
    "isfinite": [S(T(2, 3)), S(T(())), S(T(0, 3)), S(V([NAN, INF, -INF, 0.0]), dtypes=FLOATS)],
    "nan_to_num": [
        # (PyTorch's defaults for +-inf are checked in tests/engine/unary_test.cc: the
        # reference is computed in float64, whose max is not the dtype's.)
        S(T(2, 3)), S(T(())), S(T(0, 3)),
        S(V([NAN, 1.5, -2.0]), dtypes=FLOATS),
        S(V([NAN, INF, -INF, 1.5]), 2.0, 100.0, -100.0, dtypes=FLOATS),
        S(V([NAN, INF, -INF, 1.5]), nan=1.0, posinf=1e4, neginf=-3.0, dtypes=FLOATS),
        S(T(2, 3), variant="inplace"),
        S(V([NAN, INF, -INF]), 0.5, 7.0, -7.0, variant="inplace", dtypes=FLOATS),
        S(T(3), variant="out"),
    ],
    "relu": [
        S(T(2, 3)), S(T(())), S(T(0, 3)), S(I(4)),
        S(V([NAN, -INF, INF, -0.0, -1.0]), dtypes=FLOATS, grad=False),
        S(T(3, kind="bool", fixed="bool")),                  # bool is rejected
        S(T(2, 3), variant="inplace"),
    ],
    "gelu": act(F.gelu) + act(F.gelu, approximate="tanh", special=False) + [
        S(T(3), approximate="exact", torch=lambda *a, **k: F.gelu(*a, **k)),  # error
    ],
    "silu": act(F.silu),
    "leaky_relu": act(F.leaky_relu) + [S(T(2, 3), 0.2, torch=F.leaky_relu),
                                       S(T(2, 3), negative_slope=-1.5, torch=F.leaky_relu)],
    "elu": act(F.elu) + [S(T(2, 3), 0.5, torch=F.elu),
                         S(T(2, 3), alpha=1.5, scale=2.0, input_scale=0.5,
                           torch=lambda x, **k: torch.ops.aten.elu(x, **k))],
    "softplus": act(F.softplus) + [S(T(2, 3), 2.0, 1.0, torch=F.softplus),
                                   S(T(2, 3, kind="uniform", low=5, high=30), beta=0.5,
                                     threshold=10, torch=F.softplus)],
    "hardtanh": [
        S(T(2, 3, kind="uniform", low=-2, high=2), torch=F.hardtanh),
        S(T(2, 3, kind="uniform", low=-2, high=2), -0.5, 0.25, torch=F.hardtanh),
        S(T(()), torch=F.hardtanh), S(T(0, 3), torch=F.hardtanh),
        S(I(4), -2, 2, torch=F.hardtanh),
        S(V([NAN, -INF, INF, -1.0, 1.0]), dtypes=FLOATS, grad=False, torch=F.hardtanh),
    ],
    "relu6": [
        S(T(2, 3, kind="uniform", low=-3, high=9), torch=F.relu6),
        S(T(()), torch=F.relu6), S(T(0, 3), torch=F.relu6),
        S(I(4, low=-3, high=10), torch=F.relu6),
        S(V([NAN, -INF, INF]), dtypes=FLOATS, grad=False, torch=F.relu6),
    ],
    "log_sigmoid": act(F.logsigmoid) + [
        S(T(2, 3, kind="uniform", low=-40, high=40), torch=F.logsigmoid)],
    "mish": act(F.mish) + [S(T(2, 3, kind="uniform", low=-30, high=30), torch=F.mish)],
    "hardswish": act(F.hardswish, grad_kind="uniform") + [
        S(T(2, 3, kind="uniform", low=-5, high=5), torch=F.hardswish)],
    "hardsigmoid": act(F.hardsigmoid) + [
        S(T(2, 3, kind="uniform", low=-5, high=5), torch=F.hardsigmoid)],
}
