"""Uploading a host batch (HostTensor leaves) in the background, so that the transfer of batch
N+1 runs while the training loop computes on batch N — also when the loop waits for the daemon
every step (loss.item()), which a one-thread client cannot overlap with anything.

The session object is not thread-safe (its command buffer and handle counter are plain Python
state), but its Upload RPC only uses the gRPC stub, which is. So the main thread allocates the
handles, one background thread streams the bytes with `Client.upload`, and the main thread
makes the kiln Tensors only once that upload finished: no command naming a handle reaches the
daemon before its bytes did. Small leaves (labels, scalars) go inline on the main thread: an
RPC each would cost more than their bytes."""

import concurrent.futures
import threading

import numpy as np

from kiln import _runtime as rt
from kiln._dtypes import dtype_name
from kiln._ops import Meta
from kiln._tensor import Tensor, from_array
from kiln.utils.data.collate import HostTensor, _walk

BACKGROUND_BYTES = 64 << 10  # leaves at least this big are uploaded by the background thread

_lock = threading.Lock()
_pool = None


def _executor():
    global _pool
    with _lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kiln-data-upload")
        return _pool


class _Leaf:
    __slots__ = ("arr", "dt", "h")

    def __init__(self, arr, dt, h):
        self.arr, self.dt, self.h = arr, dt, h


class Pending:
    """A batch whose big leaves are being uploaded; `finish()` gives the batch of Tensors."""

    def __init__(self, host):
        self.c = None
        self.leaves = []
        self.tree = _walk(host, self._plan)
        self.future = None
        self.done = None
        if self.leaves:
            self.future = _executor().submit(_send, self.c, self.leaves)

    def _plan(self, x):
        if not isinstance(x, HostTensor):
            return x
        a = np.ascontiguousarray(x.view(np.ndarray))
        if a.nbytes < BACKGROUND_BYTES:
            return x  # inline, at finish()
        if self.c is None:
            self.c = rt.client()
        leaf = _Leaf(a, dtype_name(a.dtype), self.c.handle())
        self.leaves.append(leaf)
        return leaf

    def finish(self):
        if self.done is None:
            if self.future is not None:
                self.future.result()  # raises the upload's error, if any
            try:
                self.done = self._build()
            except Exception:
                # a small leaf failed (say, a dtype kiln lacks): still own the uploaded ones,
                # so that dropping them frees their handles
                self.done = [self._tensor(x) for x in self.leaves]
                raise
        return self.done

    def _build(self):
        return _walk(self.tree, self._tensor, (_Leaf, HostTensor))

    def _tensor(self, x):
        if isinstance(x, _Leaf):
            return Tensor(self.c, x.h, Meta(tuple(int(s) for s in x.arr.shape), x.dt, "cpu"),
                          False, True)
        if isinstance(x, HostTensor):
            a = x.view(np.ndarray)
            return from_array(a, dtype_name(a.dtype))
        return x

    def drop(self):
        """The batch will not be used: free what was uploaded."""
        try:
            self.finish()
        except Exception:  # noqa: BLE001  (an upload that failed left nothing to free)
            pass


def _send(c, leaves):
    for leaf in leaves:
        c.upload(leaf.h, leaf.dt, list(leaf.arr.shape), leaf.arr.reshape(-1))

