import torch

from samples.spec import S, T

SAMPLES = {
    "view": [S(T(2, 6), (3, 4)), S(T(2, 6), (-1,)), S(T(()), (1, 1))],
    "reshape": [S(T(2, 6), (3, -1)), S(T(4), (2, 2))],
    "permute": [S(T(2, 3, 4), (2, 0, 1))],
    "transpose": [S(T(2, 3), 0, 1), S(T(2, 3, 4), -1, 0)],
    "expand": [S(T(3, 1), (3, 4)), S(T(3), (2, 3)), S(T(1, 3), (-1, 3))],
}
