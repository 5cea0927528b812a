"""How an op sample is written. Samples drive three sweeps:

  tests/ops/gen_reference.py  runs each sample through PyTorch (the oracle) and writes
                              tests/ops/reference.json (inputs, outputs, gradients);
  //tests/ops:op_sweep_test   runs every op x dtype through Kiln and compares (C++);
  //tests/ops:gradcheck_test  float64 finite differences vs Kiln's backward, and Kiln's
                              gradients vs PyTorch's, for every differentiable op;
  tests/client (later)        the same samples through the Python client and kilnd.

    SAMPLES = {
        "add": [
            S(T(2, 3), T(3)),                         # add(self, other), broadcast
            S(T(2, 3), 2.5, alpha=2),                 # Python number, keyword argument
            S(T(4), T(4, kind="int", fixed="int64")), # mixed dtypes: promotion
        ],
    }

T(*shape, kind="randn", fixed=None, low=None, high=None, values=None, grad=True)
    A tensor argument. Its values come from a seeded generator (the same every run):
      kind="randn"     standard normal                 kind="uniform"  uniform in [low, high)
      kind="positive"  uniform in [0.5, 2) (log, sqrt) kind="int"      integers in [low, high)
      kind="bool"      random True/False               kind="values"   values=[...] (nested)
      kind="perm"      a permutation of range(shape[-1]) along the last dim (indices)
    The sweep casts it to each dtype under test, unless fixed="int64" (or any dtype name)
    pins its dtype: index tensors, masks, and mixed-dtype samples use that.
    Integral dtypes get round(3 * value) (clipped to the dtype) from float kinds, bool gets
    value > 0. grad=False keeps a float input out of the gradient checks.
S(*args, **kwargs, torch=None, dtypes=None, grad=True, variant="functional",
  atol=None, rtol=None, compare=None, name=None, out_dtype=None)
    One call. Arguments are positional or keyword as in PyTorch; Tensor[] arguments are
    Python lists of T. `torch`: a callable(*args, **kwargs) computing the same thing in
    PyTorch when `torch.<op>` / `Tensor.<op>` is not it. `dtypes`: the dtypes to sweep
    (default: every dtype the op's table entry lists for cpu). `grad`: part of the gradient
    sweep (differentiable ops; float64). `variant`: "inplace" calls add_ (and compares the
    mutated self), "out" passes a fresh out= tensor (of `out_dtype` when given, else of the
    functional call's dtype: out= casting and its errors). `compare`: one per output,
    "close" (default) or "skip" (e.g. indices of ties, uninitialized values).
"""


class T:
    def __init__(self, *shape, kind="randn", fixed=None, low=None, high=None, values=None, grad=True):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        self.shape = tuple(shape)
        self.kind = kind
        self.fixed = fixed
        self.low = low
        self.high = high
        self.values = values
        self.grad = grad

    def __repr__(self):
        return "T(%s, kind=%r%s)" % (", ".join(map(str, self.shape)), self.kind,
                                     ", fixed=%r" % self.fixed if self.fixed else "")


class S:
    def __init__(self, *args, torch=None, dtypes=None, grad=True, variant="functional",
                 atol=None, rtol=None, compare=None, name=None, out_dtype=None, **kwargs):
        self.args = args
        self.kwargs = kwargs
        self.torch = torch
        self.dtypes = dtypes
        self.grad = grad
        self.variant = variant
        self.atol = atol
        self.rtol = rtol
        self.compare = compare
        self.name = name
        self.out_dtype = out_dtype
