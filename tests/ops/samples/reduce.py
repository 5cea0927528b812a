import torch

from samples.spec import S, T

SAMPLES = {
    "sum": [S(T(2, 3)), S(T(2, 3), 1), S(T(2, 3, 4), (0, 2), keepdim=True), S(T(())),
            S(T(3, 4), dtype="float64"), S(T(0, 3), 0)],
}
