import torch
import torch.nn.functional as F

from samples.spec import S, T


def I(*shape, low=0, high=3):  # noqa: E743  an int64 index tensor
    return T(*shape, kind="int", low=low, high=high, fixed="int64")


def I0(v):  # a 0-d int64 index
    return T((), kind="values", values=v, fixed="int64")


def M(*shape):  # a bool mask
    return T(*shape, kind="bool", fixed="bool")


def V(values, dtype="int64"):  # fixed index values
    return T(len(values), kind="values", values=values, fixed=dtype)


def _index(x, indices):
    # aten::index: None keeps a dim (a Python index would read None as "new axis").
    return x[tuple(slice(None) if i is None else i for i in indices)]


def _index_put(x, indices, values, accumulate=False):
    return torch.ops.aten.index_put(x, indices, values, accumulate)


def _index_put_(x, indices, values, accumulate=False):
    return torch.ops.aten.index_put_(x, indices, values, accumulate)


def _pad(x, pad, mode="constant", value=None):
    return F.pad(x, pad, mode, value)


def _slice_backward(g, sizes, dim, start, end, step):
    return torch.ops.aten.slice_backward(g, sizes, dim, start, end, step)


def _select_backward(g, sizes, dim, index):
    return torch.ops.aten.select_backward(g, sizes, dim, index)


NUMERIC = ["uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]

SAMPLES = {
    "cat": [
        S([T(2, 3), T(4, 3)]), S([T(2, 3), T(2, 1), T(2, 4)], 1), S([T(2, 3, 4), T(2, 3, 2)], -1),
        S([T(3)]), S([T(0, 3), T(2, 3)]), S([T(2, 3), T(0)], 1), S([T(0), T(0)]),
        S([T(2, 3), T(2, 3, fixed="float64")]), S([T(2, 3), T(1, 3, kind="int", fixed="int64")]),
        S([T(2, 3), T(2, 3)], variant="out"),
        S([]), S([T(2, 3), T(2, 4)]), S([T(2, 3), T(3)]), S([T(()), T(())]), S([T(2), T(2)], 1),
    ],
    "stack": [
        S([T(2, 3), T(2, 3)]), S([T(2, 3), T(2, 3), T(2, 3)], 2), S([T(2, 3), T(2, 3)], -1),
        S([T(()), T(())]), S([T(0, 2), T(0, 2)], 1), S([T(3), T(3, fixed="float64")]),
        S([]), S([T(2, 3), T(3, 2)]), S([T(2), T(2)], 2),
    ],
    "index_select": [
        S(T(4, 3), 0, I(5, high=4)), S(T(4, 3), 1, V([2, 0, 2])), S(T(2, 3, 4), -1, I(6, high=4)),
        S(T(4, 3), 0, V([1, 3], "int32")), S(T(4, 3), 0, I(0)), S(T(4, 3), 0, I0(2)),
        S(T(()), 0, I0(0)), S(T(0, 3), 1, V([0, 2])),
        S(T(4, 3), 0, I(3, high=4), variant="out"),
        S(T(4, 3), 0, V([0, 4])), S(T(4, 3), 0, V([-1])), S(T(4, 3), 0, I(2, 2)),
        S(T(4, 3), 0, T(2, fixed="float32")), S(T(4, 3), 2, V([0])),
    ],
    "gather": [
        S(T(3, 4), 1, I(3, 2, high=4)), S(T(3, 4), 0, I(2, 4)), S(T(3, 4), -1, I(2, 5, high=4)),
        S(T(2, 3, 4), 1, I(2, 5, 4)), S(T(()), 0, I0(0)),
        S(T(3, 4), 0, I(0, 4)), S(T(3, 4), 1, I(3, 2, high=4), sparse_grad=False),
        S(T(3, 4), 1, I(2, 2, high=4), variant="out"),
        S(T(3, 4), 1, T(1, 2, kind="values", values=[[0, 4]], fixed="int64")),
        S(T(3, 4), 1, T(1, 2, kind="values", values=[[0, -1]], fixed="int64")),
        S(T(3, 4), 1, I(2, high=4)), S(T(3, 4), 1, I(4, 1)),
        S(T(3, 4), 1, T(2, 2, kind="int", low=0, high=3, fixed="int32")),
    ],
    "scatter_src": [
        S(T(3, 4), 1, T(3, 2, kind="perm", fixed="int64"), T(3, 2)),
        S(T(3, 4), 0, T(1, 3, kind="perm", fixed="int64"), T(1, 3)),
        S(T(3, 4), 1, I(3, 2, high=4), T(3, 2), grad=False),
        S(T(3, 4), -2, I(1, 4), T(1, 4)), S(T(3, 4), 1, I(2, 2, high=4), T(3, 3), grad=False),
        S(T(()), 0, I0(0), T(())),
        S(T(3, 4), 1, I(3, 2, high=4), T(3, 2), variant="inplace"),
        S(T(3, 4), 1, I(3, 2, high=4), T(3, 2), variant="out"),
        S(T(3, 4), 1, T(1, 2, kind="values", values=[[0, 4]], fixed="int64"), T(1, 2)),
        S(T(3, 4), 1, I(1, 2, high=4), T(1, 1)), S(T(3, 4), 1, I(1, 2, high=4), T(1, 2, fixed="float64"),
          dtypes=["int32", "int64"]),
    ],
    "scatter_value": [
        S(T(3, 4), 1, I(3, 2, high=4), 2.5), S(T(3, 4), 0, I(2, 4), -1),
        S(T(3, 4), 1, I(3, 2, high=4), 1.5, variant="inplace"),
        S(T(3, 4), 1, I(2, 2, high=4), 3, variant="out"),
        S(T(3, 4), 1, T(1, 1, kind="values", values=[[-1]], fixed="int64"), 1.0),
    ],
    "scatter_reduce": [
        S(T(3, 4), 1, I(3, 3, high=4), T(3, 3), reduce="add", grad=False),
        S(T(3, 4), 0, I(4, 4), T(4, 4), reduce="multiply", grad=False),
        S(T(3, 4), 1, I(3, 3, high=4), T(3, 3), reduce="add", variant="inplace", grad=False),
        S(T(3, 4), 1, I(3, 3, high=4), T(3, 3), reduce="mean", grad=False),
    ],
    "scatter_value_reduce": [
        S(T(3, 4), 1, I(3, 3, high=4), 2, reduce="add", grad=False, dtypes=NUMERIC),
        S(T(3, 4), 0, I(4, 4), 2, reduce="multiply", grad=False, dtypes=NUMERIC),
        S(T(3, 4), 0, I(4, 4), 2, reduce="sum", grad=False),
    ],
    "scatter_add": [
        S(T(3, 4), 1, I(3, 5, high=4), T(3, 5)), S(T(3, 4), 0, I(6, 4), T(6, 4)),
        S(T(3, 4), 1, I(2, 2, high=4), T(3, 3), grad=False),
        S(T(3, 4), 1, I(3, 5, high=4), T(3, 5), variant="inplace"),
        S(T(3, 4), 1, I(3, 5, high=4), T(3, 5), variant="out"),
        S(T(()), 0, I0(0), T(())),
        S(T(3, 4), 0, T(1, 1, kind="values", values=[[3]], fixed="int64"), T(1, 1)),
    ],
    "index_add": [
        S(T(4, 3), 0, I(6, high=4), T(6, 3)), S(T(4, 3), 1, V([2, 2, 0, 1]), T(4, 4), alpha=2),
        S(T(4, 3), -1, V([0, 1], "int32"), T(4, 2)), S(T(4, 3), 0, I(0), T(0, 3)),
        S(T(()), 0, V([0]), T(())), S(T(4, 3), 0, I(5, high=4), T(5, 3), variant="inplace"),
        S(T(4, 3), 0, I(5, high=4), T(5, 3), variant="out"),
        S(T(4, 3), 0, V([0, 4]), T(2, 3)), S(T(4, 3), 0, V([0, 1]), T(3, 3)),
        S(T(4, 3), 0, V([0, 1]), T(2, 4)), S(T(4, 3), 0, V([0, 1]), T(2, 3, fixed="float64"), dtypes=["int32", "int64"]),
        S(T(4, 3), 0, I(1, 2), T(2, 3)),
    ],
    "index": [
        S(T(5, 4), [I(3, high=5)], torch=_index), S(T(5, 4), [None, V([3, 0, 3])], torch=_index),
        S(T(5, 4), [V([-1, -5])], torch=_index), S(T(5, 4), [I(2, 3, high=4), I(3, high=4)], torch=_index),
        S(T(2, 3, 4, 5), [None, I(2, high=3), None, I(2, high=5)], torch=_index),
        S(T(2, 3, 4, 5), [None, I(2, 1, high=3), I(3, high=4)], torch=_index),
        S(T(2, 3, 4, 5), [I(2, high=2), None, I(3, 1, high=4)], torch=_index),
        S(T(3, 4), [M(3, 4)], torch=_index), S(T(3, 4, 2), [None, M(4)], torch=_index),
        S(T(3, 4, 2), [M(3, 4), I(1, high=2)], torch=_index),
        S(T(3, 4), [I0(2)], torch=_index),
        S(T(0, 4), [None, I(2, high=4)], torch=_index), S(T(3, 4), [I(0)], torch=_index),
        S(T(3, 4), [V([3])], torch=_index), S(T(3, 4), [V([0, 1]), V([0, 1, 2])], torch=_index),
        S(T(3, 4), [M(2)], torch=_index), S(T(3, 4), [None, None, V([0])], torch=_index),
        S(T(3, 4), [V([0], "int32")], torch=_index), S(T(0, 4), [V([0])], torch=_index),
    ],
    "index_put": [
        S(T(5, 4), [V([4, 0, 2])], T(3, 4), torch=_index_put),
        S(T(5, 4), [I(6, high=5)], T(6, 4), torch=_index_put, grad=False),
        S(T(5, 4), [None, V([3, 0, 2])], T(()), torch=_index_put),
        S(T(5, 4), [V([1, 1, -1])], T(3, 4), True, torch=_index_put),
        S(T(5, 4), [V([1, 1, 4]), V([0, 0, 2])], T(3), accumulate=True, torch=_index_put),
        S(T(2, 3, 4), [V([0, 1]), None, V([3, 3])], T(2, 1), torch=_index_put),
        S(T(3, 4), [M(3, 4)], T(()), torch=_index_put), S(T(3, 4), [M(3)], T(4), True, torch=_index_put),
        S(T(5, 4), [V([1, 1, 4])], T(4), True, torch=_index_put_, variant="inplace"),
        S(T(3, 4), [M(3, 4)], T(()), torch=_index_put_, variant="inplace"),
        S(T(5, 4), [V([5])], T(()), torch=_index_put), S(T(5, 4), [V([0, 1])], T(3), torch=_index_put),
        S(T(5, 4), [V([0])], T((), fixed="float64"), torch=_index_put, dtypes=["int32", "int64"]),
        S(T(5, 4), [V([0, 5])], T(()), True, torch=_index_put_, variant="inplace"),
    ],
    "masked_fill_Scalar": [
        S(T(3, 4), M(3, 4), 2.5), S(T(3, 4), M(4), -1), S(T(3, 4), M(2, 3, 4), 0),
        S(T(3, 4), M(()), 1), S(T(()), M(()), 3), S(T(0, 4), M(4), 1),
        S(T(3, 4), M(4), 2, variant="inplace"),
        S(T(3, 4), M(2, 3, 4), 2, variant="inplace"), S(T(3, 4), M(5), 1),
    ],
    "masked_fill_Tensor": [
        S(T(3, 4), M(3, 4), T(())), S(T(3, 4), M(4), T((), fixed="float64"), dtypes=["float32", "float64"]),
        S(T(3, 4), M(3, 4), T(()), variant="inplace"), S(T(3, 4), M(3, 4), T(2)),
    ],
    "masked_select": [
        S(T(3, 4), M(3, 4)), S(T(3, 4), M(4)), S(T(4), M(3, 4)), S(T(()), M(())),
        S(T(3, 4), M(())), S(T(0, 4), M(4)), S(T(3, 4), M(5)),
        S(T(3, 4), T(3, 4, kind="int", fixed="int64")),
    ],
    "nonzero": [
        S(T(3, 4, kind="int", low=-1, high=2)), S(T(5, kind="int", low=0, high=2)),
        S(T((), kind="values", values=3)), S(T((), kind="values", values=0)), S(T(2, 0)),
        S(T(2, 3, 2, kind="int", low=0, high=2)),
    ],
    "repeat": [
        S(T(2, 3), (2, 1)), S(T(2, 3), (2, 1, 3)), S(T(3), (0, 2)), S(T(()), (2, 3)), S(T(()), ()),
        S(T(0, 2), (2, 2)), S(T(2, 3), (2,)), S(T(2, 3), (2, -1)),
    ],
    "repeat_interleave_Tensor": [
        S(V([1, 2, 0, 3])), S(V([2, 1], "int32")), S(I(0)), S(V([1, 2]), output_size=3),
        S(V([1, -1])), S(T(1, 2, kind="values", values=[[1, 2]], fixed="int64")),
        S(V([1, 2]), output_size=2),
    ],
    "repeat_interleave_self_Tensor": [
        S(T(3, 4), V([1, 0, 2]), 0), S(T(3, 4), V([2, 1, 1, 3]), -1), S(T(3, 2), V([2])),
        S(T(3, 4), I0(2), 1),
        S(T(3, 4), V([1, 0, 2]), 0, output_size=3),
        S(T(3, 4), V([1, 0]), 0), S(T(3, 4), V([1, -1, 2]), 0), S(T(()), V([2]), 0),
    ],
    "repeat_interleave_self_int": [
        S(T(3, 4), 2, 0), S(T(3, 4), 3, -1), S(T(3, 4), 2), S(T(()), 3), S(T(3, 4), 0, 1),
        S(T(3, 4), 2, 0, output_size=6), S(T(3, 4), -1, 1), S(T(()), 2, 0),
    ],
    "tile": [S(T(2, 3), (2,)), S(T(2, 3), (2, 1, 2)), S(T(2, 3), ()), S(T(()), (3,)),
             S(T(2, 3), (2, -1))],
    "flip": [S(T(3, 4), (0,)), S(T(3, 4), (0, 1)), S(T(2, 3, 4), (-1, 0)), S(T(3, 4), ()),
             S(T(()), (0,)), S(T(0, 3), (1,)), S(T(3, 4), (0, 0)), S(T(3, 4), (2,))],
    "roll": [S(T(3, 4), 1), S(T(3, 4), (1, -2), (0, 1)), S(T(3, 4), 5, 0), S(T(3, 4), -7, -1),
             S(T(3, 4), 0, 1), S(T(0, 3), 1, 0), S(T(()), 1), S(T(3, 4), (1, 2), (0,)),
             S(T(3, 4), (), ()), S(T(()), 1, 0)],
    "tril": [S(T(4, 5)), S(T(4, 5), 1), S(T(4, 5), -2), S(T(2, 3, 4), 10), S(T(2, 3, 4), -10),
             S(T(0, 3)), S(T(4, 5), variant="inplace"), S(T(4, 5), 1, variant="out"), S(T(3))],
    "triu": [S(T(4, 5)), S(T(4, 5), 1), S(T(4, 5), -2), S(T(2, 3, 4), 10), S(T(2, 3, 4), -10),
             S(T(4, 5), -1, variant="inplace"), S(T(4, 5), variant="out"), S(T(()))],
    "constant_pad_nd": [
        S(T(2, 3), (1, 2)), S(T(2, 3), (1, 2, 0, 1), 1.5), S(T(2, 3, 4), (-1, 1, 2, -1), -1),
        S(T(2, 3), (0, 0)), S(T(()), ()), S(T(0, 3), (1, 1, 1, 1)), S(T(2, 3), (-2, -1)),
        S(T(2, 3), (1,)), S(T(3), (1, 1, 1, 1)), S(T(2, 3), (-3, -1)),
    ],
    "pad": [
        S(T(2, 3), (1, 2), torch=_pad), S(T(2, 3), (1, 2, -1, 1), "constant", 2.5, torch=_pad),
        S(T(2, 3, 4), (2, 1), "reflect", torch=_pad, dtypes=["float32", "float64"]),
        S(T(2, 3, 4), (1, 2, 2, 0), "reflect", torch=_pad, dtypes=["float32", "float64"]),
        S(T(2, 3, 4, 3), (1, 1, 2, 0, 1, 2), "reflect", torch=_pad, dtypes=["float64"]),
        S(T(2, 4), (-1, 2), "reflect", torch=_pad, dtypes=["float64"]),
        S(T(2, 3, 4), (3, 1), "replicate", torch=_pad, dtypes=["float32", "float64"]),
        S(T(2, 3, 4), (1, 2, 2, -1), "replicate", torch=_pad, dtypes=["float64"]),
        S(T(1, 2, 3, 2, 2), (1, 1, 0, 2, 1, 0), "replicate", torch=_pad, dtypes=["float64"]),
        S(T(1, 2, 5), (2, 3), "circular", torch=_pad, dtypes=["float32", "float64"]),
        S(T(1, 2, 5), (-1, 3), "circular", torch=_pad, dtypes=["float64"]),
        S(T(1, 2, 3, 4), (1, 2, 3, 0), "circular", torch=_pad, dtypes=["float64"]),
        S(T(0, 3, 4), (1, 1), "reflect", torch=_pad, dtypes=["float64"]),
        S(T(2, 3, 4), (4, 1), "reflect", torch=_pad, dtypes=["float64"]),
        S(T(4), (1, 1), "reflect", torch=_pad, dtypes=["float64"]),
        S(T(2, 0, 3), (1, 1), "reflect", torch=_pad, dtypes=["float64"]),
        S(T(2, 3, 4), (1, 1), "reflect", 1.0, torch=_pad, dtypes=["float64"]),
        S(T(2, 3, 4), (1, 1), "wrap", torch=_pad, dtypes=["float64"]),
        S(T(1, 2, 5), (6, 1), "circular", torch=_pad, dtypes=["float64"]),
        S(T(2, 5), (1, 1), "circular", torch=_pad, dtypes=["float64"]),
        S(T(2, 3), (1, 2, 3), torch=_pad), S(T(2, 3), (1, 1, 1, 1, 1, 1), torch=_pad),
    ],
    "slice_backward": [
        S(T(2, 4), (5, 4), 0, 1, 3, 1, torch=_slice_backward),
        S(T(5, 2), (5, 4), 1, 0, 4, 2, torch=_slice_backward),
        S(T(0, 4), (5, 4), 0, 7, 9, 1, torch=_slice_backward),
        S(T(2, 4), (5, 4), -2, -4, -2, 1, torch=_slice_backward),
    ],
    "select_backward": [
        S(T(4), (3, 4), 0, 1, torch=_select_backward), S(T(3), (3, 4), 1, -1, torch=_select_backward),
        S(T(2, 4), (2, 3, 4), 1, 2, torch=_select_backward),
    ],
}
