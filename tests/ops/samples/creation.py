import torch

from samples.spec import S, T

SAMPLES = {
    "fill_": [S(T(2, 3), 1.5, variant="functional"), S(T(4), 7)],
    "zero_": [S(T(3, 2))],
    "zeros": [S((2, 3)), S((4,), dtype="int64"), S((0, 2))],
    "ones": [S((2, 3)), S((3,), dtype="float64")],
    "full": [S((2, 2), 3.5), S((3,), 7), S((2,), True), S((2,), 2, dtype="float64")],
    "zeros_like": [S(T(2, 3)), S(T(3), dtype="int32")],
    "ones_like": [S(T(2, 3))],
    "full_like": [S(T(2, 3), 4.0)],
}
