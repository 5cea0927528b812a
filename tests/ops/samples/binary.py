import torch

from samples.spec import S, T

SAMPLES = {
    "add": [S(T(2, 3), T(3)), S(T(2, 3), 2.5, alpha=2), S(T(4), T(4, kind="int", low=-5, high=5, fixed="int64")),
            S(T(2, 3), T(3), variant="inplace"), S(T(3), T(3), variant="out")],
    "sub": [S(T(2, 3), T(2, 1)), S(T(3), 1, alpha=0.5)],
    "mul": [S(T(2, 3), T(3)), S(T(3), 3), S(T((), kind="values", values=2.0), T(2, 2))],
    "div": [S(T(2, 3), T(3, kind="positive")), S(T(3), 4),
            S(T(5, kind="int", low=-9, high=9), T(5, kind="int", low=1, high=4), rounding_mode="floor", grad=False),
            S(T(5, kind="int", low=-9, high=9), T(5, kind="int", low=1, high=4), rounding_mode="trunc", grad=False)],
}
