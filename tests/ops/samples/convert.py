import torch

from samples.spec import S, T

SAMPLES = {
    "copy_": [S(T(2, 3), T(3)), S(T(2, 3), T(2, 3, fixed="int64")), S(T(4), T(4, fixed="float64"))],
    "to": [S(T(2, 3), dtype="float64"), S(T(2, 3), dtype="int32"), S(T(3), dtype="bool"),
           S(T(3), dtype="float16"), S(T(3), dtype="bfloat16")],
    "contiguous": [S(T(2, 3))],
    "clone": [S(T(2, 3)), S(T(0, 3))],
}
