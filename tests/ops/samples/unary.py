import torch

from samples.spec import S, T

SAMPLES = {
    "neg": [S(T(2, 3)), S(T(5), variant="inplace"), S(T(3, 1), variant="out")],
    "exp": [S(T(2, 3)), S(T(4, kind="int", low=-3, high=3, fixed="int64")), S(T(())),
            S(T(3), variant="inplace")],
}
