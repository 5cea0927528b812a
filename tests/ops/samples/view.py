import torch

from samples.spec import S, T


def _slice(x, dim=0, start=None, end=None, step=1):
    return torch.ops.aten.slice.Tensor(x, dim, start, end, step)


def _squeeze_dims(x, dims):
    # PyTorch 1.13 has no squeeze(dims): squeeze each listed size-1 dim, last first.
    nd = max(x.dim(), 1)
    for d in dims:
        if not -nd <= d < nd:
            raise IndexError("Dimension out of range")
    for d in sorted({d % nd for d in dims}, reverse=True):
        x = x.squeeze(d)
    return x


SAMPLES = {
    "view": [S(T(2, 6), (3, 4)), S(T(2, 6), (-1,)), S(T(()), (1, 1))],
    "reshape": [S(T(2, 6), (3, -1)), S(T(4), (2, 2))],
    "permute": [S(T(2, 3, 4), (2, 0, 1))],
    "transpose": [S(T(2, 3), 0, 1), S(T(2, 3, 4), -1, 0)],
    "expand": [S(T(3, 1), (3, 4)), S(T(3), (2, 3)), S(T(1, 3), (-1, 3))],
    "narrow": [
        S(T(4, 5), 0, 1, 2), S(T(4, 5), -1, 2, 3), S(T(4, 5), 1, -3, 2), S(T(4, 5), 1, 5, 0),
        S(T(4, 5), 0, 0, 0), S(T(0, 3), 1, 1, 2),
        S(T(4, 5), 0, 3, 2), S(T(4, 5), 0, 1, -1), S(T(4, 5), 2, 0, 1), S(T(()), 0, 0, 1),
    ],
    "select": [
        S(T(3, 4), 0, 1), S(T(3, 4), 1, -1), S(T(2, 3, 4), -2, 2), S(T(3), 0, 2),
        S(T(3, 4), 0, 3), S(T(3, 4), 1, -5), S(T(()), 0, 0), S(T(0, 2), 1, 1),
    ],
    "slice": [
        S(T(5, 4), 0, 1, 4, 1, torch=_slice), S(T(5, 4), 1, None, None, 2, torch=_slice),
        S(T(5, 4), 0, -3, None, 1, torch=_slice), S(T(5, 4), 0, -10, 10, 3, torch=_slice),
        S(T(5, 4), -1, 3, 1, 1, torch=_slice), S(T(5, 4), 0, 7, 9, 1, torch=_slice),
        S(T(5, 4), torch=_slice), S(T(0, 4), 0, 1, 3, 1, torch=_slice),
        S(T(5, 4), 0, 0, 4, 0, torch=_slice), S(T(5, 4), 0, 0, 4, -1, torch=_slice),
        S(T(()), 0, 0, 1, 1, torch=_slice),
    ],
    "unbind": [S(T(3, 4)), S(T(3, 4), 1), S(T(2, 3, 4), -1), S(T(0, 3), 1), S(T(1)),
               S(T(())), S(T(3, 4), 2)],
    "squeeze": [S(T(2, 1, 3, 1)), S(T(1, 1)), S(T(())), S(T(0, 1))],
    "squeeze_dim": [S(T(2, 1, 3), 1), S(T(2, 1, 3), 0), S(T(2, 1, 3), -2), S(T(()), 0),
                    S(T(()), -1), S(T(2, 1), 2)],
    "squeeze_dims": [
        S(T(1, 2, 1, 3), (0, 2), torch=_squeeze_dims), S(T(1, 2, 1, 3), (-1, -2), torch=_squeeze_dims),
        S(T(1, 2, 1), (), torch=_squeeze_dims), S(T(()), (0,), torch=_squeeze_dims),
        S(T(1, 2), (0, 5), torch=_squeeze_dims),
    ],
    "unsqueeze": [S(T(2, 3), 0), S(T(2, 3), 2), S(T(2, 3), -1), S(T(2, 3), -3), S(T(()), 0),
                  S(T(()), -1), S(T(2, 3), 3), S(T(2, 3), -4)],
    "flatten": [S(T(2, 3, 4)), S(T(2, 3, 4), 1), S(T(2, 3, 4), 0, 1), S(T(2, 3, 4), -2, -1),
                S(T(()),), S(T(()), 0, -1), S(T(2, 0, 3), 1), S(T(2, 3, 4), 2, 1),
                S(T(2, 3), 0, 2)],
    "unflatten": [S(T(3, 4), 1, (2, 2)), S(T(3, 4), -1, (-1, 2)), S(T(3, 4), 0, (3, 1)),
                  S(T(3, 4), 1, (3, 2)), S(T(3, 4), 1, ()), S(T(6), 0, (-1, -1)),
                  S(T(()), 0, (1,))],
    "t": [S(T(2, 3)), S(T(3)), S(T(())), S(T(2, 3, 4))],
    "broadcast_to": [S(T(3, 1), (2, 3, 4)), S(T(()), (2, 2)), S(T(3), (0, 3)), S(T(3, 4), (3, 5))],
    "split": [S(T(5, 4), 2), S(T(5, 4), 3, 1), S(T(5, 4), 5), S(T(5, 4), 7, -2), S(T(0, 3), 0),
              S(T(5, 4), 0), S(T(5, 4), -1), S(T(()), 1)],
    "split_with_sizes": [S(T(5, 4), (1, 4)), S(T(5, 4), (1, 0, 3), 1), S(T(5, 4), (5,), -2),
                         S(T(5, 4), (1, 1)), S(T(5, 4), (6, -1))],
    "split_sizes": [S(T(5, 4), [2, 3]), S(T(5, 4), [4], 1), S(T(5, 4), [1, 2])],
    "chunk": [S(T(5, 4), 2), S(T(6, 4), 4), S(T(5, 4), 3, 1), S(T(0, 4), 3), S(T(5, 4), 10),
              S(T(5, 4), 0), S(T(()), 1)],
    "movedim": [S(T(2, 3, 4), (0,), (2,)), S(T(2, 3, 4), (0, 1), (2, 0)),
                S(T(2, 3, 4), (-1,), (0,)), S(T(()), (0,), (0,)),
                S(T(2, 3, 4), (0, 1), (2, 2)), S(T(2, 3, 4), (0, 0), (1, 2)),
                S(T(2, 3, 4), (0,), (1, 2))],
    "view_as": [S(T(2, 6), T(3, 4, grad=False)), S(T(2, 6), T(5, grad=False))],
    "reshape_as": [S(T(2, 6), T(4, 3, grad=False)), S(T(()), T(1, 1, grad=False))],
    "expand_as": [S(T(3, 1), T(2, 3, 4, grad=False)), S(T(3), T(2, grad=False))],
}
