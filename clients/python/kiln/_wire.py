"""Kiln's packed command encoding (docs/protocol.md): little-endian, no padding.

Each function appends one command or value to a bytearray; the client batches them and sends
the bytes as ExecuteRequest.commands."""

import struct

from kiln._rules import DTYPES

DTYPE_CODE = {d: i for i, d in enumerate(DTYPES)}

OP, FREE, SYNC, FETCH, META, FORMAT, CALLSITE, PUT = 1, 2, 3, 4, 5, 6, 7, 8
BACKWARD, GRAD, SET_REQUIRES_GRAD, GET_GRAD, SET_GRAD, GRAD_STATE = 9, 10, 11, 12, 13, 14
RETAIN_GRAD, GRAD_MODE, MANUAL_SEED, DETACH, SET_DEFAULT_DTYPE = 15, 16, 17, 18, 19

T_NONE, T_HANDLE, T_INT, T_FLOAT, T_BOOL, T_INTS, T_FLOATS, T_STR = 0, 1, 2, 3, 4, 5, 6, 7
T_DTYPE, T_DEVICE, T_HANDLES = 8, 9, 10

_op_head = struct.Struct("<BHBIB").pack
_u8 = struct.Struct("<B").pack
_u32 = struct.Struct("<I").pack
_u64 = struct.Struct("<Q").pack
_req = struct.Struct("<BQ").pack            # kind, request
_req_h = struct.Struct("<BQQ").pack         # kind, request, handle
_tag_u64 = struct.Struct("<BQ").pack
_tag_i64 = struct.Struct("<Bq").pack
_tag_f64 = struct.Struct("<Bd").pack
_tag_u8 = struct.Struct("<BB").pack
_tag_u32 = struct.Struct("<BI").pack
_h_h = struct.Struct("<BQQ").pack


def op(buf, op_id, variant, callsite, outs, values):
    """values: already-encoded argument bytes (see value())."""
    buf += _op_head(OP, op_id, variant, callsite, len(outs))
    for h in outs:
        buf += _u64(h)
    buf += _u8(len(values))
    for v in values:
        buf += v


def handle(h):
    return _tag_u64(T_HANDLE, h)


def none():
    return b"\x00"


def int_(v):
    return _tag_i64(T_INT, v)


def float_(v):
    return _tag_f64(T_FLOAT, v)


def bool_(v):
    return _tag_u8(T_BOOL, 1 if v else 0)


def number(v):
    if isinstance(v, bool):
        return bool_(v)
    if isinstance(v, int):
        return int_(v)
    return float_(float(v))


def ints(vs):
    return _tag_u32(T_INTS, len(vs)) + struct.pack("<%dq" % len(vs), *vs)


def floats(vs):
    return _tag_u32(T_FLOATS, len(vs)) + struct.pack("<%dd" % len(vs), *vs)


def _str_bytes(s):
    b = s.encode()
    return _u32(len(b)) + b


def str_(s):
    return _u8(T_STR) + _str_bytes(s)


def dtype(name):
    return _tag_u8(T_DTYPE, DTYPE_CODE[name])


def device(name):
    return _u8(T_DEVICE) + _str_bytes(name)


def handles(hs):
    return _tag_u32(T_HANDLES, len(hs)) + struct.pack("<%dQ" % len(hs), *hs)


def free(buf, hs):
    buf += _u8(FREE) + _u32(len(hs)) + struct.pack("<%dQ" % len(hs), *hs)


def request(buf, kind, req, h=None):
    buf += _req(kind, req) if h is None else _req_h(kind, req, h)


def callsite(buf, cid, text):
    buf += _u8(CALLSITE) + _u32(cid) + _str_bytes(text)


def put(buf, h, dtype_name, shape, dev, data, requires_grad):
    buf += _u8(PUT) + _u64(h) + _u8(DTYPE_CODE[dtype_name]) + _u8(len(shape))
    buf += struct.pack("<%dq" % len(shape), *shape)
    buf += _str_bytes(dev) + _u64(len(data))
    buf += data
    buf += _u8(1 if requires_grad else 0)


def backward(buf, cs, roots, grads, retain, create):
    buf += _u8(BACKWARD) + _u32(cs) + _u32(len(roots))
    buf += struct.pack("<%dQ" % len(roots), *roots) + struct.pack("<%dQ" % len(grads), *grads)
    buf += _u8(retain) + _u8(1 if create else 0)


def grad(buf, req, cs, outputs, grad_outputs, inputs, results, retain, create, allow_unused):
    buf += _u8(GRAD) + _u64(req) + _u32(cs) + _u32(len(outputs))
    buf += struct.pack("<%dQ" % len(outputs), *outputs)
    buf += struct.pack("<%dQ" % len(grad_outputs), *grad_outputs)
    buf += _u32(len(inputs)) + struct.pack("<%dQ" % len(inputs), *inputs)
    buf += struct.pack("<%dQ" % len(results), *results)
    buf += _u8(retain) + _u8(1 if create else 0) + _u8(1 if allow_unused else 0)


def set_requires_grad(buf, h, flag):
    buf += _u8(SET_REQUIRES_GRAD) + _u64(h) + _u8(1 if flag else 0)


def get_grad(buf, h, out):
    buf += _h_h(GET_GRAD, h, out)


def set_grad(buf, h, g):
    buf += _h_h(SET_GRAD, h, g)


def grad_state(buf, req, hs):
    buf += _u8(GRAD_STATE) + _u64(req) + _u32(len(hs)) + struct.pack("<%dQ" % len(hs), *hs)


def retain_grad(buf, h):
    buf += _u8(RETAIN_GRAD) + _u64(h)


def grad_mode(buf, enabled):
    buf += _u8(GRAD_MODE) + _u8(1 if enabled else 0)


def manual_seed(buf, seed):
    buf += _u8(MANUAL_SEED) + _u64(seed & 0xFFFFFFFFFFFFFFFF)


def detach(buf, h, out):
    buf += _h_h(DETACH, h, out)


def set_default_dtype(buf, name):
    buf += _u8(SET_DEFAULT_DTYPE) + _u8(DTYPE_CODE[name])
