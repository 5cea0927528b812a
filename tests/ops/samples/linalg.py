from samples.spec import S, T

NAN = float("nan")
FLOATS = ["float16", "bfloat16", "float32", "float64"]
NUMERIC = ["uint8", "int8", "int32", "int64"] + FLOATS


def F32(*shape):  # a float32 tensor whatever the swept dtype (dtype-mismatch errors)
    return T(*shape, fixed="float32")


def F64(*shape):
    return T(*shape, fixed="float64")


# Shapes past the direct small-matrix loop (more than 512 multiply-adds) take the BLAS path.
SAMPLES = {
    "mm": [
        S(T(2, 3), T(3, 4)),
        S(T(1, 1), T(1, 1)),
        S(T(5, 17), T(17, 9)),                          # BLAS
        S(T(0, 3), T(3, 4)),                            # empty rows
        S(T(2, 0), T(0, 4)),                            # empty inner dim: zeros
        S(T(30, 0), T(0, 40)),
        S(T(2, 3), T(3, 0)),
        S(T(2, 3), T(3, 4), variant="out"),
        S(T(2, 3), T(4, 5)),                            # shapes cannot be multiplied
        S(T(3), T(3, 4)),                               # self must be a matrix
        S(T(()), T(3, 4)),
        S(T(2, 3), T(3)),
        S(F32(2, 3), F64(3, 4)),                        # dtypes differ
    ],
    "bmm": [
        S(T(2, 2, 3), T(2, 3, 4)),
        S(T(3, 8, 9), T(3, 9, 10)),                     # BLAS
        S(T(1, 1, 1), T(1, 1, 1)),
        S(T(0, 2, 3), T(0, 3, 4)),
        S(T(2, 2, 0), T(2, 0, 3)),                      # empty inner dim
        S(T(2, 2, 3), T(2, 3, 4), variant="out"),
        S(T(2, 2, 3), T(2, 4, 5)),                      # inner sizes differ
        S(T(2, 2, 3), T(3, 3, 5)),                      # batch sizes differ
        S(T(2, 3), T(3, 5)),                            # batch1 must be 3-d
        S(F32(2, 2, 3), F64(2, 3, 5)),
    ],
    "addmm": [
        S(T(2, 4), T(2, 3), T(3, 4)),
        S(T(4), T(2, 3), T(3, 4), beta=2, alpha=3),     # self broadcast
        S(T(2, 1), T(2, 3), T(3, 4)),
        S(T(()), T(2, 3), T(3, 4)),
        S(T(2, 4), T(2, 3), T(3, 4), beta=0.5, alpha=-1.5, dtypes=FLOATS),
        S(T(6, 20), T(6, 10), T(10, 20), beta=2, alpha=3),  # BLAS
        S(T(2, 4, kind="values", values=[[NAN] * 4] * 2), T(2, 3), T(3, 4), beta=0,
          dtypes=FLOATS),                                # beta=0: self (NaN) is ignored
        S(T(2, 4), T(2, 0), T(0, 4), beta=2),           # empty inner dim: beta * self
        S(T(2, 4), T(2, 3), T(3, 4), variant="inplace"),
        S(T(4), T(2, 3), T(3, 4), variant="inplace"),   # result shape != self's
        S(T(2, 4), T(2, 3), T(3, 4), alpha=2, variant="out"),
        S(T(3, 4), T(2, 3), T(3, 4)),                   # self does not broadcast
        S(T(2, 4), T(2, 3), T(4, 4)),
        S(T(4), T(3), T(3, 4)),                         # mat1 must be a matrix
        S(F64(2, 4), F32(2, 3), F32(3, 4)),             # self's dtype differs
    ],
    "baddbmm": [
        S(T(2, 2, 4), T(2, 2, 3), T(2, 3, 4)),
        S(T(4), T(2, 2, 3), T(2, 3, 4), beta=2, alpha=3),
        S(T(()), T(2, 2, 3), T(2, 3, 4)),
        S(T(2, 2, 4), T(2, 2, 3), T(2, 3, 4), beta=0.5, alpha=-1.5, dtypes=FLOATS),
        S(T(3, 8, 10), T(3, 8, 9), T(3, 9, 10), alpha=2),   # BLAS
        S(T(2, 2, 4), T(2, 2, 0), T(2, 0, 4), beta=3),
        S(T(2, 2, 4), T(2, 2, 3), T(2, 3, 4), variant="inplace"),
        S(T(2, 2, 4), T(2, 2, 3), T(2, 3, 4), variant="out"),
        S(T(3, 2, 4), T(2, 2, 3), T(2, 3, 4)),          # self does not broadcast
        S(T(4), T(2, 3), T(2, 3, 4)),
    ],
    "mv": [
        S(T(2, 3), T(3)),
        S(T(40, 30), T(30)),                            # BLAS
        S(T(0, 3), T(3)),
        S(T(2, 0), T(0)),                               # empty inner dim
        S(T(2, 3), T(3), variant="out"),
        S(T(2, 3), T(4)),                               # size mismatch
        S(T(3), T(3)),                                  # not a matrix
        S(T(2, 3), T(3, 1)),
        S(F32(2, 3), F64(3)),
    ],
    "addmv": [
        S(T(2), T(2, 3), T(3)),
        S(T(()), T(2, 3), T(3), beta=2, alpha=3),
        S(T(1), T(2, 3), T(3)),
        S(T(2), T(2, 3), T(3), beta=0.5, alpha=-1.5, dtypes=FLOATS),
        S(T(40), T(40, 30), T(30), beta=2),
        S(T(2), T(2, 0), T(0), beta=2),
        S(T(2), T(2, 3), T(3), variant="inplace"),
        S(T(2), T(2, 3), T(3), variant="out"),
        S(T(3), T(2, 3), T(3)),                         # self does not broadcast
        S(T(2), T(2, 3), T(4)),
    ],
    "dot": [
        S(T(3), T(3)),
        S(T(600), T(600)),                              # BLAS
        S(T(0), T(0)),                                  # empty: 0
        S(T(3), T(3), variant="out"),
        S(T(3), T(4)),                                  # sizes differ
        S(T(3, 1), T(3)),                               # not 1-d
        S(T(()), T(3)),
        S(F32(3), F64(3)),
    ],
    "matmul": [
        S(T(3), T(3), dtypes=NUMERIC),                  # dot
        S(T(2, 3), T(3), dtypes=NUMERIC),               # mv
        S(T(3), T(3, 4), dtypes=NUMERIC),               # row vector @ matrix
        S(T(2, 3), T(3, 4), dtypes=NUMERIC),
        S(T(2, 2, 3), T(3, 4), dtypes=NUMERIC),         # leading dims fold into rows
        S(T(2, 2, 3), T(3), dtypes=NUMERIC),
        S(T(3), T(2, 3, 4), dtypes=NUMERIC),            # 1-d self batched, then dropped
        S(T(2, 3), T(2, 3, 4), dtypes=NUMERIC),
        S(T(2, 2, 3), T(2, 3, 4), dtypes=NUMERIC),
        S(T(2, 1, 2, 3), T(3, 3, 4), dtypes=NUMERIC),   # batch dims broadcast
        S(T(8, 16, 12), T(12, 10)),                     # BLAS
        S(T(0, 2, 3), T(3, 4), dtypes=NUMERIC),
        S(T(2, 0), T(0, 3), dtypes=NUMERIC),            # empty inner dim
        S(T(3, 3), T(3, 3), dtypes=["bool"]),           # no bool GEMM
        S(T(()), T(3)),                                 # 0-d
        S(T(2, 3), T(4, 5)),
        S(T(2, 3), T(4)),
        S(T(2, 2, 3), T(3, 3, 4)),                      # batch dims do not broadcast
        S(T(2, 2, 3), T(2, 4, 5)),
        S(F32(2, 3), F64(3, 4)),
        S(F32(3), F64(3)),
    ],
    "outer": [
        S(T(3), T(4)),
        S(T(0), T(4)),
        S(T(1), T(1)),
        S(T(3, fixed="float32"), T(4, kind="int", low=-3, high=4, fixed="int64")),  # promotes
        S(T(3, 1), T(4)),                               # not 1-d
        S(T(3), T(())),
    ],
    "einsum": [
        S("ij,jk->ik", [T(2, 3), T(3, 4)], dtypes=NUMERIC),
        S("bij,bjk->bik", [T(2, 2, 3), T(2, 3, 4)], dtypes=NUMERIC),
        S("bhqd,bhkd->bhqk", [T(2, 2, 3, 4), T(2, 2, 5, 4)], dtypes=NUMERIC),
        S("ij,jk", [T(2, 3), T(3, 4)], dtypes=NUMERIC),  # implicit output
        S("ji,jk", [T(2, 3), T(2, 4)], dtypes=NUMERIC),
        S("...ij,...jk->...ik", [T(2, 1, 2, 3), T(3, 3, 4)], dtypes=NUMERIC),
        S("...ij,jk", [T(2, 2, 3), T(3, 4)], dtypes=NUMERIC),
        S("i,j->ij", [T(3), T(4)], dtypes=NUMERIC),
        S("i,i->", [T(3), T(3)], dtypes=NUMERIC),
        S("bij,bjk->bik", [T(1, 2, 3), T(4, 3, 2)], dtypes=NUMERIC),  # size-1 broadcasts
        S("ij,jk,kl->il", [T(2, 3), T(3, 4), T(4, 5)], dtypes=NUMERIC),
        S("ij, jk -> ki", [T(2, 3), T(3, 4)], dtypes=NUMERIC),
        S("Ab,bc->Ac", [T(2, 3), T(3, 4)], dtypes=NUMERIC),
        S("ij->ji", [T(2, 3)], dtypes=NUMERIC),
        S("ij->i", [T(2, 3)], dtypes=FLOATS),          # (PyTorch sums integers to int64 here)
        S("ij,jk->ik", [T(2, 0), T(0, 4)], dtypes=NUMERIC),
        S("bij,bkj->bik", [T(3, 8, 9), T(3, 10, 9)], dtypes=FLOATS),
        S("ij,jk->ik", [T(2, 3), T(4, 5)]),             # sizes do not broadcast
        S("ij,jk->il", [T(2, 3), T(3, 4)]),             # output subscript not in the inputs
        S("ij,jk->ii", [T(2, 3), T(3, 4)]),             # repeated output subscript
        S("i1,jk->ik", [T(2, 3), T(3, 4)]),             # invalid subscript
        S("ij,jk->ik", [T(2, 3)]),                      # fewer operands than the equation
        S("ijk,jk->ik", [T(2, 3), T(3, 4)]),            # subscripts vs dims
        S("...ij,...jk->...ik", [T(2, 2, 3), T(3, 3, 4)]),
        S("ij,jk->ik", [F32(2, 3), F64(3, 4)]),
    ],
}
