"""default_collate and default_convert with torch's rules (numbers → tensors with torch's
dtypes, numpy arrays and tensors stacked, strings kept, containers recursed).

Collation works on the host: numpy arrays become `HostTensor`s (an ndarray subclass marking
"this becomes a kiln Tensor"), stacked with numpy, so a batch is one upload, not one per
sample; and so DataLoader workers, which must not talk to the daemon, can collate too. In the
main process default_collate/default_convert turn the HostTensors into kiln Tensors before
returning (`to_kiln`); the DataLoader does that step itself, one batch ahead."""

import collections.abc
import re

import numpy as np

from kiln import _rules
from kiln._dtypes import dtype_name
from kiln._tensor import Tensor, from_array
from kiln.utils.data import _worker

__all__ = ["default_collate", "default_convert", "HostTensor"]

_STR_OBJ = re.compile(r"[SaUO]")
_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, "
        "dicts or lists; found {}")


class HostTensor(np.ndarray):
    """A numpy array on its way to becoming a kiln Tensor (same dtype and shape)."""

    @staticmethod
    def wrap(a):
        return np.asarray(a).view(HostTensor)

    def __reduce__(self):
        # pickled (worker → main) as a plain array plus the marker, not ndarray's subclass state
        return (_rebuild, (np.asarray(self).view(np.ndarray),))


def _rebuild(a):
    return a.view(HostTensor)


def _stack_error(shapes):
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise RuntimeError("stack expects each tensor to be equal size, but got %s at entry 0 "
                               "and %s at entry %d" % (list(shapes[0]), list(s), i))


def _stack_arrays(batch):
    arrs = [np.asarray(b) for b in batch]
    _stack_error([a.shape for a in arrs])
    return HostTensor.wrap(np.stack(arrs))


def _numbers(batch):
    """torch.tensor(list of Python numbers): ints int64, bools bool, any float the default."""
    arr = np.asarray(batch)
    if arr.dtype.kind == "f":
        return HostTensor.wrap(arr.astype(_rules.default_dtype[0]))
    if arr.dtype.kind in "iu":
        return HostTensor.wrap(arr.astype(np.int64))
    if arr.dtype.kind == "b":
        return HostTensor.wrap(arr)
    raise TypeError(_ERR.format(type(batch[0])))


def _in_worker_tensor():
    raise RuntimeError("kiln.utils.data: a DataLoader worker got a kiln Tensor from the dataset; "
                       "workers cannot reach kilnd (the gRPC channel does not survive fork): "
                       "return numpy arrays or Python numbers from __getitem__, or use "
                       "num_workers=0")


def collate(batch):
    """default_collate with HostTensor leaves (kiln Tensors only where the samples held some)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        if _worker.in_worker():
            _in_worker_tensor()
        import kiln
        return kiln.stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if _STR_OBJ.search(elem.dtype.str) is not None:
            raise TypeError(_ERR.format(elem.dtype))
        return _stack_arrays(batch)
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        arr = np.asarray(batch)
        if arr.dtype == object:
            raise TypeError("can't convert np.ndarray of type numpy.object_. The only supported "
                            "types are: float64, float32, float16, complex64, complex128, int64, "
                            "int32, int16, int8, uint8, and bool.")
        return HostTensor.wrap(arr)
    if isinstance(elem, float):
        return HostTensor.wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):
        return _numbers(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        d = {key: collate([b[key] for b in batch]) for key in elem}
        try:
            return type(elem)(d)
        except TypeError:  # a mapping type whose __init__ takes no dict
            return d
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(b) == size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        cols = [collate(s) for s in zip(*batch)]  # tuples, as torch passes them
        if isinstance(elem, tuple):
            return cols  # torch returns a list for tuples
        try:
            return type(elem)(cols)
        except TypeError:  # e.g. range
            return cols
    raise TypeError(_ERR.format(type(elem)))


def convert(data):
    """default_convert with HostTensor leaves."""
    if isinstance(data, (Tensor, HostTensor)):
        return data
    t = type(data)
    if t.__module__ == "numpy" and t.__name__ not in ("str_", "bytes_", "string_"):
        if isinstance(data, np.ndarray) and _STR_OBJ.search(data.dtype.str) is not None:
            return data
        return HostTensor.wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        d = {key: convert(data[key]) for key in data}
        try:
            return t(d)
        except TypeError:
            return d
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return t(*(convert(d) for d in data))
    if isinstance(data, tuple):
        return [convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return t([convert(d) for d in data])
        except TypeError:
            return [convert(d) for d in data]
    return data


def _walk(obj, leaf, kinds=(HostTensor, Tensor)):
    """obj with leaf(x) applied to its `kinds` leaves (HostTensors and kiln Tensors),
    containers rebuilt."""
    if isinstance(obj, kinds):
        return leaf(obj)
    if isinstance(obj, (str, bytes, np.ndarray)) or obj is None:
        return obj
    if isinstance(obj, collections.abc.Mapping):
        d = {k: _walk(v, leaf, kinds) for k, v in obj.items()}
        try:
            return type(obj)(d)
        except TypeError:
            return d
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_walk(v, leaf, kinds) for v in obj))
    if isinstance(obj, (list, tuple)):
        out = [_walk(v, leaf, kinds) for v in obj]
        if type(obj) in (list, tuple):
            return type(obj)(out)
        try:
            return type(obj)(out)
        except TypeError:
            return out
    return obj


def _upload(x):
    if isinstance(x, HostTensor):
        a = x.view(np.ndarray)
        return from_array(a, dtype_name(a.dtype))
    return x


def to_kiln(obj):
    """Uploads every HostTensor in obj (a batch) as a kiln Tensor."""
    return _walk(obj, _upload)


def _refuse_tensor(x):
    if isinstance(x, Tensor):
        _in_worker_tensor()
    return x


def check_host(obj):
    """In a worker: a batch must hold no kiln Tensor (it could not be sent to the main process)."""
    _walk(obj, _refuse_tensor)
    return obj


def default_collate(batch):
    """Stacks a list of samples into a batch, as torch.utils.data.default_collate does."""
    out = collate(batch)
    return out if _worker.in_worker() else to_kiln(out)


def default_convert(data):
    """Turns numpy arrays (and numpy scalars) in one sample into tensors; the rest is kept."""
    out = convert(data)
    return out if _worker.in_worker() else to_kiln(out)
