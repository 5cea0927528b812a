"""kiln.save / kiln.load: safetensors files, locally or under kilnd's data directory.

Every file is a plain safetensors file (8-byte little-endian header length, JSON header,
raw little-endian data), so `safetensors.torch.load_file` or any other reader opens it.

- A flat ``{name: Tensor}`` dict (a state_dict) is written as is: one safetensors tensor per
  key, ``__metadata__`` = ``{"format": "pt"}``.
- Anything else (a training checkpoint ``{"model": ..., "optimizer": ..., "step": 10}``: dicts,
  lists, tuples, tensors, ints, floats, bools, str, None) is flattened: each tensor is stored
  under its dotted path ("optimizer.state.0.momentum_buffer"), and the structure around them is
  JSON in ``__metadata__["kiln.structure"]``. `kiln.load` rebuilds it exactly (int dict keys,
  tuples, non-finite floats included); a tensor reached twice comes back as one object.
- Values are saved, not storage: a view or a non-contiguous tensor is written as its values,
  and two views of one storage become two independent tensors on load.
- ``"kiln://ckpt/step10.safetensors"`` names a file under kilnd's ``--data_dir``: kilnd writes
  it from the tensors it holds (temp file, fsync, rename) and loads it into new tensors, without
  the bytes crossing the wire. Any other path is local: the client downloads the tensors and
  writes the file itself, also atomically.
"""

import io
import json
import math
import os
import tempfile

import grpc
import numpy as np

from kiln import _runtime as rt
from kiln import _wire as wire
from kiln._client import RemoteError
from kiln._dtypes import device as _device
from kiln._dtypes import device_str
from kiln._ops import Meta
from kiln._proto import pb
from kiln._tensor import Tensor

REMOTE = "kiln://"
STRUCTURE = "kiln.structure"
_MAX_HEADER = 100 << 20
_RESERVE = 1 << 20  # handles a remote load reserves (kilnd refuses files with more tensors)

# safetensors dtype <-> (Kiln dtype, little-endian numpy dtype). I16 loads as int32 (Kiln has no
# int16); bfloat16 travels as its raw 16 bits.
_TO_FILE = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int32": "I32", "int64": "I64",
            "float16": "F16", "bfloat16": "BF16", "float32": "F32", "float64": "F64"}
_FROM_FILE = {"BOOL": ("bool", "|b1"), "U8": ("uint8", "|u1"), "I8": ("int8", "|i1"),
              "I16": ("int32", "<i2"), "I32": ("int32", "<i4"), "I64": ("int64", "<i8"),
              "F16": ("float16", "<f2"), "BF16": ("bfloat16", "<u2"), "F32": ("float32", "<f4"),
              "F64": ("float64", "<f8")}
_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "I32": 4, "I64": 8, "F16": 2, "BF16": 2, "F32": 4,
         "F64": 8}


# ---- the structure around the tensors ----
def _flatten(obj):
    """([(name, Tensor)], metadata): a flat state dict as is, else dotted names + skeleton."""
    if isinstance(obj, dict) and all(isinstance(k, str) and isinstance(v, Tensor)
                                     for k, v in obj.items()):
        for k in obj:
            if k == "__metadata__" or not k:
                raise ValueError("kiln.save: a tensor cannot be named %r" % k)
        return list(obj.items()), {"format": "pt"}
    tensors, names, seen = [], set(), {}

    def name_for(path):
        base = ".".join(path) or "tensor"
        n, i = base, 1
        while n in names or n == "__metadata__":
            n, i = "%s~%d" % (base, i), i + 1
        names.add(n)
        return n

    def enc(x, path, key=False):
        if isinstance(x, Tensor):
            if key:
                raise TypeError("kiln.save: a tensor cannot be a dict key")
            if id(x) not in seen:
                seen[id(x)] = name_for(path)
                tensors.append((seen[id(x)], x))
            return {"__tensor__": seen[id(x)]}
        if x is None or isinstance(x, (bool, str)):
            return x
        if isinstance(x, (int, np.integer)) and not isinstance(x, np.bool_):
            return int(x)
        if isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, (float, np.floating)):
            x = float(x)
            return x if math.isfinite(x) else {"__float__": repr(x)}
        if isinstance(x, tuple):
            return {"__tuple__": [enc(v, path + (str(i),), key) for i, v in enumerate(x)]}
        if key:
            raise TypeError("kiln.save: cannot save a dict key of type %s" % type(x).__name__)
        if isinstance(x, dict):
            return {"__dict__": [[enc(k, (), True), enc(v, path + (str(k),))]
                                 for k, v in x.items()]}
        if isinstance(x, list):
            return [enc(v, path + (str(i),)) for i, v in enumerate(x)]
        raise TypeError("kiln.save: cannot save an object of type %s (tensors, dicts, lists, "
                        "tuples, numbers, strings and None only)" % type(x).__name__)

    skeleton = enc(obj, ())
    return tensors, {STRUCTURE: json.dumps(skeleton, allow_nan=False, separators=(",", ":"))}


def _unflatten(tensors, metadata):
    if STRUCTURE not in metadata:
        return dict(tensors)

    def dec(x):
        if isinstance(x, list):
            return [dec(v) for v in x]
        if isinstance(x, dict):
            if "__tensor__" in x:
                return tensors[x["__tensor__"]]
            if "__tuple__" in x:
                return tuple(dec(v) for v in x["__tuple__"])
            if "__dict__" in x:
                return {dec(k): dec(v) for k, v in x["__dict__"]}
            if "__float__" in x:
                return float(x["__float__"])
            raise ValueError("kiln.load: unknown node in %s: %r" % (STRUCTURE, sorted(x)))
        return x
    try:
        return dec(json.loads(metadata[STRUCTURE]))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError("kiln.load: the file's %s metadata is damaged: %s"
                         % (STRUCTURE, e)) from None


# ---- the safetensors format (local files) ----
def _header(entries, metadata):
    """entries: [(name, file dtype, shape, nbytes)] -> header bytes (length + padded JSON)."""
    h, at = {}, 0
    if metadata:
        h["__metadata__"] = metadata
    for name, fdt, shape, n in entries:
        h[name] = {"dtype": fdt, "shape": list(shape), "data_offsets": [at, at + n]}
        at += n
    j = json.dumps(h, separators=(",", ":")).encode()
    j += b" " * (-len(j) % 8)
    return len(j).to_bytes(8, "little") + j


def parse_header(raw, data_len, what):
    """Checks a safetensors JSON header: [(name, file dtype, shape, begin, end)], metadata."""
    def bad(msg):
        return ValueError("kiln.load: %s: %s" % (what, msg))

    def no_dups(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                raise bad("duplicate key %r in the header" % k)
            d[k] = v
        return d
    try:
        h = json.loads(raw.decode("utf-8"), object_pairs_hook=no_dups)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad("the header is not valid JSON (%s)" % e) from None
    if not isinstance(h, dict):
        raise bad("the header is not a JSON object")
    md = h.pop("__metadata__", None) or {}
    if not isinstance(md, dict) or not all(isinstance(v, str) for v in md.values()):
        raise bad("__metadata__ must map strings to strings")
    entries = []
    for name, e in h.items():
        if not isinstance(e, dict) or not {"dtype", "shape", "data_offsets"} <= set(e):
            raise bad("tensor %r needs dtype, shape and data_offsets" % name)
        fdt, shape, off = e["dtype"], e["shape"], e["data_offsets"]
        if fdt not in _FROM_FILE:
            raise bad("tensor %r has dtype %s, which Kiln does not support (%s)"
                      % (name, fdt, ", ".join(_FROM_FILE)))
        if (not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape)
                or not isinstance(off, list) or len(off) != 2
                or not all(type(o) is int and o >= 0 for o in off)):
            raise bad("tensor %r: shape and data_offsets must be lists of non-negative "
                      "integers" % name)
        b, end = off
        if b > end or end > data_len:
            raise bad("tensor %r: data_offsets %s fall outside the %d-byte data section"
                      % (name, off, data_len))
        if math.prod(shape) * _SIZE[fdt] != end - b:
            raise bad("tensor %r: shape %s of %s needs %d bytes, data_offsets hold %d"
                      % (name, shape, fdt, math.prod(shape) * _SIZE[fdt], end - b))
        entries.append((name, fdt, tuple(shape), b, end))
    at = 0
    for name, _, _, b, end in sorted(entries, key=lambda e: (e[3], e[4])):
        if b != at:
            raise bad("tensor %r starts at %d, expected %d (tensors overlap or leave a hole)"
                      % (name, b, at))
        at = end
    if at != data_len:
        raise bad("the tensors cover %d bytes of a %d-byte data section" % (at, data_len))
    return entries, md


def _read(f, what):
    """(entries, metadata, offset of the data section) of a seekable safetensors stream."""
    size = f.seek(0, io.SEEK_END)
    f.seek(0)
    if size < 8:
        raise ValueError("kiln.load: %s: the file is %d bytes, too short for a safetensors "
                         "header" % (what, size))
    n = int.from_bytes(f.read(8), "little")
    if n > _MAX_HEADER or n > size - 8:
        raise ValueError("kiln.load: %s: the header claims %d bytes, past the end of the %d-byte "
                         "file or over the format's limit (truncated, or not a safetensors file)"
                         % (what, n, size))
    entries, md = parse_header(f.read(n), size - 8 - n, what)
    return entries, md, 8 + n


def _read_array(f, start, fdt, shape, nbytes, what):
    """One tensor's bytes straight into a writable numpy array (no whole-file buffer)."""
    buf = bytearray(nbytes)
    f.seek(start)
    if f.readinto(buf) != nbytes:
        raise ValueError("kiln.load: %s: the file was truncated while being read" % what)
    arr = np.frombuffer(buf, dtype=_FROM_FILE[fdt][1]).reshape(shape)
    return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))


# ---- local files ----
def _raw(t):
    """(Kiln dtype, shape, contiguous little-endian bytes) of t's value."""
    c = t._c
    r = c.ask(wire.FETCH, t._h)
    which = r.WhichOneof("result")
    if which == "error":
        raise RemoteError.from_pb(r.error)
    if which == "value":
        return wire.DTYPES[r.value.dtype], tuple(r.value.shape), r.value.data
    return c.download(t._h)


def _write_local(f, tensors, metadata):
    # Largest elements first, so that every tensor starts aligned to its element size.
    tensors = sorted(tensors, key=lambda nt: -nt[1].element_size())
    entries = [(n, _TO_FILE[t._meta().dtype], tuple(t.shape), t.numel() * t.element_size())
               for n, t in tensors]
    f.write(_header(entries, metadata))
    for n, t in tensors:
        dt, shape, data = _raw(t)
        f.write(data)


def _save_local(path, tensors, metadata):
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError("kiln.save: the folder %s does not exist" % folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            _write_local(f, tensors, metadata)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)  # the rename is durable once the folder is
    finally:
        os.close(dfd)


def _upload_raw(c, dt, shape, arr, dev):
    h = c.handle()
    if arr.nbytes <= c.max_inline:
        wire.put(c.buf, h, dt, shape, dev, arr.tobytes(), False)
        c.maybe_flush()
    else:
        c.upload(h, dt, shape, arr.reshape(-1), False, dev)
    return Tensor(c, h, Meta(shape, dt, dev), False, True)


def _load_local(f, what, where):
    entries, md, start = _read(f, what)
    c = None if where == "numpy" else rt.client()
    out = {}
    for name, fdt, shape, b, end in entries:
        arr = _read_array(f, start + b, fdt, shape, end - b, what)
        if where == "numpy":
            out[name] = (arr.astype(np.uint32) << 16).view(np.float32) if fdt == "BF16" else arr
            continue
        if fdt == "I16":
            arr = arr.astype(np.int32)
        out[name] = _upload_raw(c, _FROM_FILE[fdt][0], shape, arr, where)
    return out, md


# ---- kilnd's data directory ----
def _stubs(c):
    s = getattr(c, "_ckpt_stubs", None)
    if s is None:
        ser = lambda m: m.SerializeToString()  # noqa: E731
        s = (c.channel.unary_unary("/kiln.v1.Kiln/Save", ser, pb.SaveResponse.FromString),
             c.channel.unary_unary("/kiln.v1.Kiln/Load", ser, pb.LoadResponse.FromString))
        c._ckpt_stubs = s
    return s


def _rpc_error(fn, path, e):
    msg = "%s(%r): %s" % (fn, REMOTE + path, e.details() or e.code().name)
    code = e.code()
    if code == grpc.StatusCode.NOT_FOUND:
        return FileNotFoundError(msg)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return PermissionError(msg)
    if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.DATA_LOSS):
        return ValueError(msg)
    return RemoteError(fn, code.name, msg)


def _save_remote(rel, tensors, metadata):
    clients = {id(t._c): t._c for _, t in tensors}
    if len(clients) > 1:
        raise ValueError("kiln.save: the tensors live in different kilnd sessions")
    c = next(iter(clients.values())) if clients else rt.client()
    c.sync()  # every op that makes these tensors has run (and raised, if it failed)
    req = pb.SaveRequest(session_id=c.session_id, path=rel, metadata=metadata,
                         tensors=[pb.SaveEntry(name=n, handle=t._h) for n, t in tensors])
    try:
        _stubs(c)[0](req, metadata=c.md)
    except grpc.RpcError as e:
        raise _rpc_error("kiln.save", rel, e) from None


def _load_remote(rel, dev):
    c = rt.client()
    c.flush()
    first = c.next_handle
    c.next_handle = first + _RESERVE
    try:
        r = _stubs(c)[1](pb.LoadRequest(session_id=c.session_id, path=rel, first_handle=first,
                                        max_tensors=_RESERVE, device=dev), metadata=c.md)
    except grpc.RpcError as e:
        raise _rpc_error("kiln.load", rel, e) from None
    out = {t.name: Tensor(c, t.handle, Meta(tuple(t.shape), wire.DTYPES[t.dtype], dev), False, True)
           for t in r.tensors}
    return out, dict(r.metadata)


# ---- the API ----
def _where(map_location):
    if map_location is None:
        return "cpu"
    if isinstance(map_location, str) and map_location == "numpy":
        return "numpy"
    if isinstance(map_location, (str, int, _device)):
        return device_str(map_location)
    if type(map_location).__name__ == "device":  # a torch.device
        return device_str(str(map_location))
    raise TypeError("kiln.load: map_location must be None, a device (\"cpu\", \"cuda:0\") or "
                    "\"numpy\", not %s" % type(map_location).__name__)


def save(obj, f, metadata=None):
    """Writes `obj` (a state dict or a nested checkpoint) as a safetensors file: a local path, a
    binary file object, or "kiln://rel/path" under kilnd's --data_dir. `metadata`: extra
    str -> str entries for the file's __metadata__."""
    tensors, md = _flatten(obj)
    for k, v in (metadata or {}).items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError("kiln.save: metadata must map str to str")
        md[k] = v
    if hasattr(f, "write"):
        _write_local(f, tensors, md)
        return
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if path.startswith(REMOTE):
        _save_remote(path[len(REMOTE):], tensors, md)
    else:
        _save_local(path, tensors, md)


def load(f, map_location=None, weights_only=None, **kwargs):
    """Reads a file written by kiln.save (or any safetensors file) back: the same structure
    with kiln Tensors on `map_location` (default "cpu"), or numpy arrays with
    map_location="numpy". A file without kiln's structure loads as a flat {name: Tensor}
    dict. `weights_only` is accepted for torch.load compatibility: a safetensors file only
    ever holds data."""
    where = _where(map_location)
    if hasattr(f, "read"):
        tensors, md = _load_local(f, "<file object>", where)
        return _unflatten(tensors, md)
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if path.startswith(REMOTE):
        rel = path[len(REMOTE):]
        tensors, md = _load_remote(rel, "cpu" if where == "numpy" else where)
        if where == "numpy":
            tensors = {k: t.numpy() for k, t in tensors.items()}
    else:
        with open(path, "rb") as fh:
            tensors, md = _load_local(fh, path, where)
    return _unflatten(tensors, md)


__all__ = ["save", "load"]
