"""What runs inside a DataLoader worker process (forked): fetch the samples a task names,
collate them on the host into numpy (HostTensor) batches, and send them back; errors travel as
their type and traceback text and are raised in the main process like torch does.

A worker must never use the parent's kilnd session: after fork the gRPC channel belongs to the
parent. The worker marks every inherited session dead, so a stray kiln op raises a clear
error instead of corrupting the parent's stream or hanging."""

import os
import queue
import random
import sys
import traceback

import numpy as np

_info = None
_POLL_S = 2.0  # how often an idle worker checks that its parent is still alive


class WorkerInfo:
    """id, num_workers, seed and dataset (this worker's copy), as torch's WorkerInfo."""

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError("Cannot assign attributes to {} objects".format(type(self).__name__))
        super().__setattr__(key, val)

    def __repr__(self):
        return "{}({})".format(type(self).__name__,
                               ", ".join("{}={}".format(k, getattr(self, k)) for k in self.__keys))


def get_worker_info():
    """This worker's WorkerInfo inside a DataLoader worker process; None in the main process."""
    return _info


def in_worker():
    return _info is not None


class ExceptionWrapper:
    """An exception's type and formatted traceback, picklable across processes."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = "Caught {} {}.\nOriginal {}".format(self.exc_type.__name__, self.where, self.exc_msg)
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)  # KeyError's str() would repr() the whole text
        try:
            exc = self.exc_type(msg)
        except Exception:  # noqa: BLE001  (an exception type whose __init__ wants more)
            raise RuntimeError(msg) from None
        try:
            raise exc
        finally:
            exc = None  # break the frame <-> traceback cycle

    def __reduce__(self):
        t = self.exc_type
        try:
            import pickle
            pickle.dumps(t)
        except Exception:  # noqa: BLE001  (a local exception class: send a stand-in)
            t = RuntimeError
        return (_rebuild_wrapper, (t, self.exc_msg, self.where))


def _rebuild_wrapper(t, msg, where):
    w = ExceptionWrapper.__new__(ExceptionWrapper)
    w.exc_type, w.exc_msg, w.where = t, msg, where
    return w


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


class IterableEnd:
    """A worker's iterable dataset copy is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


SHM_DIR = "/dev/shm"
SHM_BYTES = 256 << 10  # arrays this big leave a worker through a tmpfs file, not the pipe


class ShmLeaf:
    """A worker's big array, parked in a file under /dev/shm (RAM): one copy in and one out,
    where a pipe would move it in 64 KiB pieces, a context switch each."""

    def __init__(self, path, dtype, shape):
        self.path, self.dtype, self.shape = path, dtype, shape

    def load(self):
        try:
            return np.fromfile(self.path, dtype=np.dtype(self.dtype)).reshape(self.shape)
        finally:
            self.discard()

    def discard(self):
        try:
            os.unlink(self.path)
        except OSError:
            pass


def shm_prefix(token):
    return os.path.join(SHM_DIR, "kiln-data-%s-" % token)


def _park(data, token, worker_id, counter):
    """Big HostTensors in data → ShmLeafs (left in the data when /dev/shm is unusable)."""
    from kiln.utils.data.collate import HostTensor, _walk

    def leaf(x):
        if not isinstance(x, HostTensor) or x.nbytes < SHM_BYTES or token is None:
            return x
        a = np.ascontiguousarray(x.view(np.ndarray))
        path = "%s%d-%d" % (shm_prefix(token), worker_id, next(counter))
        try:
            with open(path, "wb") as f:
                f.write(memoryview(a.reshape(-1)).cast("B"))
        except OSError:
            ShmLeaf(path, "", ()).discard()
            return x
        return ShmLeaf(path, a.dtype.str, a.shape)
    return _walk(data, leaf, (HostTensor,))


def unpark(data):
    """ShmLeafs in a worker's batch → HostTensors (their files removed)."""
    from kiln.utils.data.collate import HostTensor, _walk
    return _walk(data, lambda x: x.load().view(HostTensor), (ShmLeaf,))


def discard(data):
    """A worker's batch that will not be used: remove its files."""
    from kiln.utils.data.collate import _walk
    _walk(data, lambda x: x.discard(), (ShmLeaf,))


class Resume:
    """Persistent workers: start a new epoch (an iterable dataset restarts its iterator)."""

    def __init__(self, seed=None):
        self.seed = seed


def _forbid_daemon(worker_id):
    from kiln import _runtime as rt
    err = RuntimeError("kiln: DataLoader worker %d cannot use kilnd (the parent's gRPC session "
                       "does not survive fork): datasets used with num_workers > 0 must return "
                       "numpy arrays or Python numbers, not kiln Tensors" % worker_id)
    for c in list(rt._clients):
        c._dead = err
    rt._clients[:] = []

    class _Refuse:
        @property
        def closed(self):
            raise err
    rt._default = _Refuse()
    rt.connect = lambda *a, **k: (_ for _ in ()).throw(err)


def _seed(base_seed, worker_id):
    seed = (base_seed + worker_id) % (1 << 64)
    random.seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    from kiln import _runtime as rt
    rt.seed = seed
    rt.rng = np.random.default_rng(seed)
    return seed


class Fetcher:
    """Turns a task (a list of indices, an index, or "next batch" for iterable datasets) into a
    host batch."""

    def __init__(self, dataset, iterable, auto_collation, collate_fn, drop_last, batch_fn):
        self.dataset = dataset
        self.iterable = iterable
        self.auto = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.batch_fn = batch_fn  # dataset._kiln_batch when it may replace fetch + collate
        self.it = iter(dataset) if iterable else None
        self.ended = False

    def fetch(self, index):
        if self.iterable:
            if self.ended:
                raise StopIteration
            if not self.auto:
                return self.collate_fn(next(self.it))
            data = []
            for _ in range(index):
                try:
                    data.append(next(self.it))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < index):
                raise StopIteration
            return self.collate_fn(data)
        if self.auto:
            if self.batch_fn is not None:
                return self.batch_fn(index)
            return self.collate_fn([self.dataset[i] for i in index])
        return self.collate_fn(self.dataset[index])


def worker_loop(dataset, iterable, index_queue, data_queue, done_event, auto_collation,
                collate_fn, drop_last, batch_fn, base_seed, init_fn, worker_id, num_workers,
                shm_token=None):
    global _info
    import itertools

    from kiln.utils.data.collate import check_host
    counter = itertools.count()
    parent = os.getppid()
    try:
        _forbid_daemon(worker_id)
        seed = _seed(base_seed, worker_id)
        _info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = Fetcher(dataset, iterable, auto_collation, collate_fn, drop_last, batch_fn)
        except Exception:  # noqa: BLE001  (reported with the first task)
            init_error = ExceptionWrapper(where="in DataLoader worker process {}".format(worker_id))
        ended = False
        while True:
            try:
                r = index_queue.get(timeout=_POLL_S)
            except queue.Empty:
                if os.getppid() != parent:  # the main process died without telling us:
                    if shm_token is not None:  # nobody else will remove our parked batches
                        import glob
                        for p in glob.glob("%s%d-*" % (shm_prefix(shm_token), worker_id)):
                            ShmLeaf(p, "", ()).discard()
                    break
                continue
            if r is None:
                break
            if isinstance(r, Resume):
                data_queue.put((r, None))
                ended = False
                if init_error is None and iterable:
                    fetcher = Fetcher(dataset, iterable, auto_collation, collate_fn, drop_last,
                                      batch_fn)
                continue
            if done_event.is_set() or ended:
                continue
            idx, index = r
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = _park(check_host(fetcher.fetch(index)), shm_token, worker_id, counter)
                except Exception as e:  # noqa: BLE001
                    if isinstance(e, StopIteration) and iterable:
                        data = IterableEnd(worker_id)
                        ended = True
                    else:
                        data = ExceptionWrapper(
                            where="in DataLoader worker process {}".format(worker_id))
            data_queue.put((idx, data))
            del data
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        # the main process no longer reads: do not block exit on flushing unread batches
        data_queue.cancel_join_thread()
        data_queue.close()
