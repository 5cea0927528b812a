import torch

from samples.spec import S, T

NAN = float("nan")
INF = float("inf")
SIGNED = ["int8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
FLOATS = ["float16", "bfloat16", "float32", "float64"]


def I(*shape, low=-5, high=6, fixed="int64"):  # noqa: E743  an integer tensor of a fixed dtype
    return T(*shape, kind="int", low=low, high=high, fixed=fixed)


def B(*shape):  # a bool tensor
    return T(*shape, kind="bool", fixed="bool")


def V(values, fixed=None, grad=True):  # a tensor of given values
    return T(len(values), kind="values", values=values, fixed=fixed, grad=grad)


def promotion(extra=()):
    """Type promotion and broadcasting cases every arithmetic-like op shares."""
    return [
        S(T(2, 3), T(3)),                                   # broadcast, every dtype
        S(T(3, 1), T(1, 4)),                                # both sides broadcast
        S(T(()), T(2, 3)),                                  # 0-dim vs dimensioned
        S(T(0, 3), T(3)),                                   # empty
        S(I(3, fixed="int32"), T((), fixed="float64")),     # 0-dim of a higher category wins
        S(T(3, fixed="float16"), T((), fixed="float64")),   # ... but not of the same category
        S(B(3), I(3, fixed="uint8", low=0)),                # bool with int
        S(I(2, 3, fixed="int32"), 2.5),                     # int tensor, Python float: float32
        S(I(3, fixed="uint8", low=200, high=256), 300),     # Python int wraps into uint8
        S(T(3), T(2)),                                      # does not broadcast
    ] + list(extra)


def inplace_out(positive_other=False):
    other = T(3, kind="positive") if positive_other else T(3)
    return [
        S(T(2, 3), other, variant="inplace"),
        S(T(3), T(2, 3), variant="inplace"),                       # result shape != self's
        S(I(3), T(3, fixed="float32"), variant="inplace"),         # float result into int64
        S(T(3), other, variant="out"),
        S(I(3), I(3, low=1), variant="out", out_dtype="float64"),  # castable out=
        S(T(3, fixed="float32"), T(3, kind="positive", fixed="float32"), variant="out",
          out_dtype="int64"),                                      # not castable
    ]


def compare_samples():
    return promotion([
        S(I(3), 2.5),                                       # int < 2.5 compares in float
        S(I(3, fixed="uint8", low=250, high=256), 256),     # 256 wraps to 0 in uint8
        S(V([1.0, NAN, NAN, 2.0]), V([1.0, 1.0, NAN, 2.0]), dtypes=FLOATS),
        S(V([-INF, INF, 0.0]), V([-INF, 1.0, -0.0]), dtypes=FLOATS),
        S(T(2, 3), T(3), variant="inplace"),                # bool result cast to self's dtype
        S(T(3), T(2, 3), variant="inplace"),
        S(T(3), T(3), variant="out"),
        S(T(3), T(3), variant="out", out_dtype="float32"),
    ])


def logical_samples():
    return [
        S(T(2, 3), T(3)), S(T(()), T(2, 3)), S(T(0, 3), T(3)), S(T(3), T(2)),
        S(T(3, fixed="float32"), I(3)),                    # each input's truth in its own dtype
        S(T(3, fixed="float64"), T(3, fixed="float16")),   # (Python numbers: TypeError in PyTorch)
        S(V([1e-300, 0.0], fixed="float64"), V([1.0, 1.0], fixed="float32")),  # no rounding to 0
        S(V([NAN, 0.0, 1.0, -0.0]), V([1.0, NAN, 0.0, 1.0]), dtypes=FLOATS),
        S(T(2, 3), T(3), variant="inplace"), S(I(3), T(3, fixed="float32"), variant="inplace"),
        S(T(3), T(2, 3), variant="inplace"),
        S(T(3), T(3), variant="out"), S(T(3), T(3), variant="out", out_dtype="float32"),
    ]


def bitwise_samples(shift=False):
    amount = T(3, kind="int", low=0, high=8)
    other = amount if shift else T(3)
    out = [
        S(T(2, 3), other), S(T(()), other), S(T(0, 3), other),
        S(I(3, fixed="int8", low=-128, high=128), I(3, fixed="int8", low=0, high=8)),
        S(I(3, fixed="uint8", low=0, high=256), I(3, fixed="uint8", low=0, high=8)),
        S(I(2, 3, fixed="int32", low=-1000, high=1000), 3),
        S(I(3), I(3, fixed="int32", low=0, high=8)),
        S(T(3, fixed="float32"), T(3, fixed="float32")),     # floats: not implemented
        S(I(3), 1.5),                                        # promotes to float: not implemented
        S(T(3), T(2)),
        S(T(2, 3), other, variant="inplace"), S(T(3), other, variant="out"),
        S(I(3, fixed="int32"), I(3, low=0, high=8), variant="inplace"),  # int64 into int32: fine
        S(I(3), I(3, low=0, high=8), variant="out", out_dtype="float32"),
    ]
    if shift:
        out += [S(B(3), B(3))]                               # shifts reject bool
    else:
        out += [S(B(3), I(3, fixed="int32")), S(B(3), True), S(B(2, 3), B(3))]
    return out


SAMPLES = {
    "add": [S(T(2, 3), T(3)), S(T(2, 3), 2.5, alpha=2), S(T(4), I(4)),
            S(T(2, 3), T(3), variant="inplace"), S(T(3), T(3), variant="out"),
            S(I(3), I(3), alpha=0.5),                        # float alpha, integer result
            S(T(3, fixed="float32"), 1, alpha=True),         # bool alpha, float result
            S(I(3, fixed="uint8", low=0), 2, alpha=300),     # alpha overflows uint8
            S(B(3), B(3), alpha=True), S(T(3), True)]
    + promotion() + inplace_out(),
    "sub": [S(T(2, 3), T(2, 1)), S(T(3), 1, alpha=0.5), S(I(3), I(3), alpha=-2),
            S(B(3), B(3)), S(I(3), B(3)), S(T(3), True)]     # bool operands are rejected
    + promotion() + inplace_out(),
    "mul": [S(T(2, 3), T(3)), S(T(3), 3), S(T((), kind="values", values=2.0), T(2, 2)),
            S(B(3), 2.5), S(T(3), True), S(B(3), B(3))]
    + promotion() + inplace_out(),
    "div": [S(T(2, 3), T(3, kind="positive")), S(T(3), 4),
            S(T(5, kind="int", low=-9, high=9), T(5, kind="int", low=1, high=4), rounding_mode="floor", grad=False),
            S(T(5, kind="int", low=-9, high=9), T(5, kind="int", low=1, high=4), rounding_mode="trunc", grad=False),
            S(T((), kind="positive"), T(2, 3, kind="positive")),
            S(I(2, 3, fixed="int32"), I(3, fixed="int32", low=1)),          # true division: float32
            S(B(3), I(3, fixed="int32", low=1), rounding_mode="trunc"),     # int32
            S(I(3, fixed="uint8", low=0, high=200), 300, rounding_mode="floor"),  # 300 wraps to 44
            S(V([-7, 7, -7, 7, 0, -1]), V([2, 2, -2, -2, 3, 4]), rounding_mode="floor", dtypes=SIGNED, grad=False),
            S(V([-7, 7, -7, 7, 0, -1]), V([2, 2, -2, -2, 3, 4]), rounding_mode="trunc", dtypes=SIGNED, grad=False),
            S(V([-7.0, 7.0, 0.0]), 0.0, rounding_mode="floor", dtypes=FLOATS, grad=False),
            S(V([-7.0, 7.0, 0.0]), -0.0, rounding_mode="floor", dtypes=FLOATS, grad=False),
            S(V([-7.0, 7.0, 0.0]), 0.0, rounding_mode="trunc", dtypes=FLOATS, grad=False),
            S(V([-7.0, 7.0, 0.0]), 0.0, dtypes=FLOATS, grad=False),
            S(V([-7, 7, 0], fixed="int64"), 0),                              # int / 0 is inf, nan
            S(V([-7, 7, 0], fixed="int64"), 0, rounding_mode="floor"),       # ZeroDivisionError
            S(V([-7, 7, 0], fixed="int32"), V([1, 0, 1], fixed="int32"), rounding_mode="trunc"),
            S(T(3), T(3), rounding_mode="round"), S(T(3), T(3), rounding_mode=""),  # bad modes
            S(I(3), 2, variant="inplace"),                                   # float into int64
            S(I(3), 2, rounding_mode="floor", variant="inplace"),
            S(T(2, 3), T(3, kind="positive"), rounding_mode="floor", variant="inplace"),
            S(I(3), I(3, low=1), variant="out", out_dtype="float64"),
            S(I(3), I(3, low=1), variant="out", out_dtype="int64"),          # float result
            S(I(3), I(3, low=1), rounding_mode="trunc", variant="out", out_dtype="int32"),
            S(T(3), T(2, 3, kind="positive"), variant="inplace"), S(T(3), T(2))],

    # ---- powers and remainders ----
    "pow_Tensor_Tensor": [
        S(T(2, 3, kind="positive"), T(3)), S(T(3, 1, kind="positive"), T(1, 4)),
        S(T((), kind="positive"), T(2, 3)), S(T(0, 3), T(3)),
        S(T(2, 3), T(3, kind="int", low=0, high=4), grad=False),            # integer exponents
        S(V([2, -2, 1, -1, 0, 3]), V([-1, -2, -3, -1, -1, 2]), dtypes=SIGNED, grad=False),
        S(V([0.0, 0.0, 0.0, 0.0, 2.0]), V([0.0, 1.0, 2.0, 3.0, 0.0], grad=False)),  # base 0
        S(V([0.0, 0.0, 2.0]), V([1.0, 2.0, 0.0]), dtypes=["float64"]),     # d/d exponent at 0
        S(T(3, kind="positive"), I(3, fixed="int32", low=0, high=3)),      # float base, int exp
        S(I(3, fixed="int8", low=-3, high=4), I(3, fixed="int8", low=0, high=9)),  # wraps
        S(I(3, low=-3, high=4), T((), fixed="float32", kind="positive")),  # 0-dim float: float32
        S(I(3), I((), low=2, high=3)),
        S(B(3), B(3)),                                                     # not for bool
        S(T(3), T(2)),
        S(T(2, 3, kind="positive"), T(3), variant="inplace"),
        S(T(3, kind="positive"), T(3), variant="out"),
        S(I(3, low=0), T(3, fixed="float32"), variant="inplace"),         # float into int64
        S(I(3, fixed="int32", low=0), I(3, fixed="int32", low=0, high=3), variant="out",
          out_dtype="float32"),
        S(T(3), T(2, 3), variant="inplace"),
    ],
    "pow_Tensor_Scalar": [
        S(T(2, 3), 2), S(T(2, 3), 3), S(T(2, 3, kind="positive"), 0.5),
        S(T(2, 3, kind="positive"), -0.5), S(T(3, kind="positive"), -1), S(T(3, kind="positive"), -2),
        S(T(2, 3, kind="positive"), 1.7), S(T(3), 0), S(T(3), 0.0), S(T(3), 1), S(T(()), 2),
        S(T(0, 2), 2), S(T(3), True),
        S(V([0.0, 0.0, -2.0, 3.0]), 2), S(V([0.0, 1.0, -2.0]), 0.0),
        S(I(3), 2.5),                                                      # int ** float: float32
        S(I(3, fixed="int8", low=2, high=4), 9),                           # wraps like C
        S(I(3, fixed="uint8", low=0), 300),                                # does not fit uint8
        S(I(3), -1),                                                       # negative int power
        S(I(3, fixed="int32"), 2 ** 40),
        S(T(3, fixed="float16"), 1e6),
        S(T(3, fixed="float32"), 1e39),                                    # float32 takes it
        S(B(3), 2), S(B(3), True),
        S(T(2, 3), 2, variant="inplace"), S(T(3), 2, variant="out"),
        S(I(3), 2.0, variant="inplace"),
    ],
    "pow_Scalar": [
        S(2.5, T(2, 3)), S(2, T(3)), S(0.5, T(())), S(2, T(0, 3)),
        S(0, V([1.0, 2.0, 0.5])), S(1, T(3)), S(-2, T(3, kind="int", low=-2, high=4), grad=False),
        S(2, I(3, low=-1, high=5)), S(True, I(3, low=0)), S(2.5, B(3)), S(2, B(3)),
        S(True, B(3)),
        S(300, I(3, fixed="uint8", low=0, high=3), grad=False),
        S(2.0, T(3), variant="out"),
        S(2, I(3, fixed="int32", low=0, high=4), variant="out", out_dtype="float32"),
    ],
    "remainder": [
        S(T(2, 3), T(3, kind="positive")), S(T(3), 1.5), S(T(()), T(2, 3, kind="positive")),
        S(T(0, 3), T(3, kind="positive")),
        S(T(2, 3), T(3, kind="int", low=1, high=4)),
        S(V([-7, 7, -7, 7, 0, -1]), V([2, 2, -2, -2, 3, 4]), dtypes=SIGNED, grad=False),  # sign of divisor
        S(V([-7.5, 7.5, -0.5, 0.0, -0.0, 3.0, INF, 5.0, -5.0]),
          V([2.0, -2.0, 2.0, -2.0, 2.0, INF, 2.0, -INF, INF]), dtypes=FLOATS, grad=False),
        S(V([1.0, -1.0]), 0.0, dtypes=FLOATS, grad=False),                 # float % 0: nan
        S(I(3), 0),                                                        # ZeroDivisionError
        S(I(3, fixed="int8", low=-128, high=128), -3), S(I(3), 2.5), S(-7, I(3, low=1)),
        S(B(3), B(3)), S(T(3), T(2)),
        S(T(2, 3), T(3, kind="positive"), variant="inplace"),
        S(T(3), T(3, kind="positive"), variant="out"),
        S(I(3), 1.5, variant="inplace"),
        S(T(3), T(2, 3, kind="positive"), variant="inplace"),
    ],
    "fmod": [
        S(T(2, 3), T(3, kind="positive")), S(T(3), 1.5), S(T(()), T(2, 3, kind="positive")),
        S(T(0, 3), T(3, kind="positive")),
        S(T(2, 3), T(3, kind="int", low=1, high=4)),
        S(V([-7, 7, -7, 7, 0, -1]), V([2, 2, -2, -2, 3, 4]), dtypes=SIGNED),  # sign of dividend
        S(V([-7.5, 7.5, 5.0, INF]), V([2.0, -2.0, INF, 2.0]), dtypes=FLOATS, grad=False),
        S(V([1.0, -1.0]), 0.0, dtypes=FLOATS, grad=False),
        S(I(3), 0), S(I(3, fixed="int8", low=-128, high=128), -3), S(I(3), 2.5),
        S(B(3), B(3)), S(T(3), T(2)),
        S(T(2, 3), T(3, kind="positive"), variant="inplace"),
        S(T(3), T(3, kind="positive"), variant="out"),
        S(I(3), 1.5, variant="inplace"),
    ],

    # ---- extrema and math ----
    "maximum": promotion()[:-3] + [
        S(V([1.0, 2.0, 3.0, -0.5]), V([1.0, 1.0, 4.0, -0.5])),          # ties split the gradient
        S(V([NAN, 1.0, NAN]), V([1.0, NAN, NAN]), dtypes=FLOATS, grad=False),
        S(B(3), B(3)), S(T(3), T(2)),
        S(T(3), T(3), variant="out"), S(I(3), I(3), variant="out", out_dtype="float32"),
        S(T(3), T(3), variant="out", out_dtype="int64"),
    ],
    "minimum": promotion()[:-3] + [
        S(V([1.0, 2.0, 3.0, -0.5]), V([1.0, 1.0, 4.0, -0.5])),
        S(V([NAN, 1.0, NAN]), V([1.0, NAN, NAN]), dtypes=FLOATS, grad=False),
        S(B(3), B(3)), S(T(3), T(2)),
        S(T(3), T(3), variant="out"), S(I(3), I(3), variant="out", out_dtype="float32"),
    ],
    "atan2": [
        S(T(2, 3), T(3)), S(T(3, 1), T(1, 4)), S(T(()), T(2, 3)), S(T(0, 3), T(3)),
        S(I(3), I(3, low=1)),                                              # ints: float32
        S(I(3, fixed="int32"), T(3, fixed="float64")), S(B(3), B(3)),  # (no Python numbers)
        S(V([0.0, -0.0, 0.0, 1.0]), V([-0.0, -0.0, 0.0, 0.0]), grad=False),
        S(T(2, 3), T(3), variant="inplace"), S(T(3), T(3), variant="out"),
        S(I(3), I(3, low=1), variant="inplace"),                            # float into int64
        S(T(3), T(2)),
    ],
    "xlogy": [
        S(T(2, 3), T(3, kind="positive")), S(T(()), T(2, 3, kind="positive")),
        S(T(0, 3), T(3, kind="positive")),
        S(V([0.0, 1.0, 2.0, 0.0, 3.0]), V([0.0, 0.0, 3.0, NAN, -1.0]), grad=False),
        S(V([0.0, 0.0, 2.0]), V([1.5, 2.0, 0.5])),                         # d/dself where self is 0
        S(I(3), I(3, low=1)), S(B(3), T(3, kind="positive", fixed="float32")), S(2, T(3, kind="positive")),
        S(T(2, 3), T(3, kind="positive"), variant="inplace"),
        S(T(3), T(3, kind="positive"), variant="out"),
        S(T(3), T(2)),
    ],

    "fmax": promotion()[:-3] + [
        # Ties go to self, NaN loses (gradients there: binary_test, finite differences see 1/2).
        S(V([1.0, 2.0, 3.0, -0.5]), V([1.0, 1.0, 4.0, -0.5]), grad=False),
        S(V([NAN, 1.0, NAN, 2.0]), V([1.0, NAN, NAN, 3.0]), dtypes=FLOATS, grad=False),
        S(B(3), B(3)), S(T(3), T(2)),
        S(T(3), T(3), variant="out"), S(I(3), I(3), variant="out", out_dtype="float32"),
    ],
    "fmin": promotion()[:-3] + [
        S(V([1.0, 2.0, 3.0, -0.5]), V([1.0, 1.0, 4.0, -0.5]), grad=False),
        S(V([NAN, 1.0, NAN, 2.0]), V([1.0, NAN, NAN, 3.0]), dtypes=FLOATS, grad=False),
        S(B(3), B(3)), S(T(3), T(2)),
        S(T(3), T(3), variant="out"),
    ],
    "hypot": [
        S(T(2, 3), T(3)), S(T(3, 1), T(1, 4)), S(T(()), T(2, 3)), S(T(0, 3), T(3)),
        S(V([3.0, 1e30, -0.0, INF]), V([4.0, 1e30, 0.0, NAN]), dtypes=["float32", "float64"], grad=False),
        S(T(3, fixed="float32"), T(3, fixed="float64")),
        S(I(3), I(3)),                                                      # integers: not implemented
        S(T(2, 3), T(3), variant="inplace"), S(T(3), T(3), variant="out"), S(T(3), T(2)),
    ],
    "copysign": [
        S(T(2, 3), T(3)), S(T(3), -0.0), S(T(3), 1), S(T(()), T(2, 3)), S(T(0, 3), T(3)),
        S(V([1.0, -2.0, 0.0, 0.0, 3.0]), V([-1.0, 0.0, -1.0, 1.0, -0.0]), grad=False),  # binary_test
        S(V([NAN, 1.0]), V([-1.0, NAN]), dtypes=FLOATS, grad=False),
        S(I(3), I(3)), S(B(3), B(3)), S(I(3), -1),                           # float32 results
        S(T(2, 3), T(3), variant="inplace"), S(T(3), T(3), variant="out"),
        S(I(3), -1, variant="inplace"),                                     # float into int64
        S(T(3), T(2)),
    ],
    "floor_divide": [
        S(T(2, 3), T(3, kind="positive")), S(T(3), 2), S(T(()), T(2, 3, kind="positive")),
        S(T(0, 3), T(3, kind="positive")),
        S(V([-7, 7, -7, 7, 0, -1]), V([2, 2, -2, -2, 3, 4]), dtypes=SIGNED),
        S(V([-7.0, 7.0, 0.0]), 0.0, dtypes=FLOATS), S(I(3), 0),             # inf/nan; ZeroDivisionError
        S(I(3), 2.5), S(B(3), B(3)), S(T(3), T(2)),
        S(T(2, 3), T(3, kind="positive"), variant="inplace"),
        S(T(3), T(3, kind="positive"), variant="out"),
        S(I(3), 2.5, variant="inplace"),
    ],

    # ---- comparisons ----
    "eq": compare_samples(), "ne": compare_samples(), "lt": compare_samples(),
    "le": compare_samples(), "gt": compare_samples(), "ge": compare_samples(),

    # ---- logical and bitwise ----
    "logical_and": logical_samples(), "logical_or": logical_samples(),
    "logical_xor": logical_samples(),
    "bitwise_and": bitwise_samples(), "bitwise_or": bitwise_samples(),
    "bitwise_xor": bitwise_samples(),
    "bitwise_left_shift": bitwise_samples(shift=True),
    "bitwise_right_shift": bitwise_samples(shift=True),

    # ---- ternary ----
    "where": [
        S(B(2, 3), T(2, 3), T(3)), S(B(3, 1), T(1, 4), T(3, 1)), S(B(()), T(2, 3), T(())),
        S(B(2, 3), T(()), T(())), S(B(0, 3), T(3), T(3)),
        S(B(3), I(3, fixed="int32"), T(3, fixed="float64")),              # promotes self, other
        S(B(3), I(3), 2.5), S(B(3), 1.0, 2), S(B(3), I(3, fixed="uint8", low=0), 300),
        S(I(3, fixed="uint8", low=0, high=2), T(3), T(3)),                  # uint8 condition
        S(I(3), T(3), T(3)),                                                # int64 condition
        S(T(3, fixed="float32"), T(3), T(3)),
        S(B(2), T(3), T(3)),
        S(B(2, 3), T(3), T(3), variant="out"),
    ],
    "lerp_Scalar": [
        S(T(2, 3), T(3), 0.3), S(T(3), T(2, 3), 0.75), S(T(()), T(2, 3), 0.5), S(T(0, 3), T(3), 0.2),
        S(T(3), T(3), 0), S(T(3), T(3), 1), S(T(3), T(3), -1.5), S(T(3), T(3), 2),
        S(T(3, fixed="float32"), T(3, fixed="float64"), 0.5),             # no promotion
        S(T(3, fixed="float32"), T(3, fixed="float32"), 1e300),            # weight overflows float
        S(I(3), I(3), 0.5),                                                 # not for integers
        S(T(2, 3), T(3), 0.3, variant="inplace"), S(T(3), T(2, 3), 0.3, variant="inplace"),
        S(T(3), T(3), 0.6, variant="out"),
        S(T(3), T(2), 0.5),
    ],
    "lerp_Tensor": [
        S(T(2, 3), T(3), T(2, 1, kind="uniform", low=0, high=1)),
        S(T(3), T(3), T(3, kind="uniform", low=-1, high=2)),
        S(T(()), T(2, 3), T(())), S(T(0, 3), T(3), T(3)),
        S(T(3, fixed="float32"), T(3, fixed="float32"), T(3, fixed="float64")),
        S(T(3, fixed="float32"), T(3, fixed="float16"), T(3, fixed="float32")),
        S(I(3), I(3), I(3)),
        S(T(2, 3), T(3), T(3), variant="inplace"), S(T(3), T(3), T(2, 3), variant="inplace"),
        S(T(3), T(3), T(3), variant="out"),
        S(T(3), T(3), T(2)),
    ],
    "addcmul": [
        S(T(2, 3), T(3), T(2, 1)), S(T(2, 3), T(3), T(2, 1), value=0.5), S(T(()), T(2, 3), T(())),
        S(T(0, 3), T(3), T(3)), S(T(3), T(3), T(3), value=-2),
        S(I(3), I(3), I(3), value=2.5),                                    # value truncates
        S(I(3, fixed="uint8", low=0), I(3, fixed="uint8", low=0), I(3, fixed="uint8", low=0), value=300),
        S(T(3, fixed="float32"), I(3), I(3)), S(I(3), T(3, fixed="float64"), B(3)),
        S(B(3), B(3), B(3)),                                                # not for bool
        S(T(2, 3), T(3), T(3), value=2, variant="inplace"), S(T(3), T(2, 3), T(3), variant="inplace"),
        S(T(3), T(3), T(3), variant="out"),
        S(T(3), T(3), T(2)),
    ],
    "addcdiv": [
        S(T(2, 3), T(3), T(2, 1, kind="positive")), S(T(2, 3), T(3), T(2, 3, kind="positive"), value=-0.5),
        S(T(()), T(2, 3), T((), kind="positive")), S(T(0, 3), T(3), T(3, kind="positive")),
        S(V([1.5, -2.0, 0.0]), V([1.5, -2.0, 0.0]), V([1.5, -2.0, 0.0]), value=2, grad=False),
        S(T(3, fixed="float32"), I(3), I(3, low=1)),                       # integer division: error
        S(I(3), T(3, fixed="float32"), I(3, low=1, fixed="int32")),
        S(T(3, fixed="float32"), B(3), T(3, kind="positive", fixed="float64")),
        S(T(2, 3), T(3), T(3, kind="positive"), variant="inplace"),
        S(T(3), T(3), T(3, kind="positive"), variant="out"),
        S(T(3), T(3), T(2)),
    ],
}
