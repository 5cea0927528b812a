"""DataLoader: batches from a dataset, in the main process or in forked worker processes.

Where the work happens:
- fetching and collating run on the host and give numpy (HostTensor) batches: in the main
  process with num_workers=0, else in workers that never touch kilnd;
- the main process starts the upload of batch N+1 before it returns batch N: its big leaves
  go to the daemon on a background thread (_upload.py), so the transfer runs while the loop
  computes on batch N, even when the loop waits for the daemon every step. With workers, the
  fetching and collation of later batches run in parallel too, and big arrays come back
  through /dev/shm files (_worker.ShmLeaf), not through the result pipe."""

import glob
import itertools
import multiprocessing
import os
import queue
import weakref

from kiln.utils._generator import draw_seed
from kiln.utils.data import _upload, _worker
from kiln.utils.data.collate import collate, convert, default_collate, default_convert
from kiln.utils.data.dataset import IterableDataset, _prepare, has_batch_path
from kiln.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]

_MAP, _ITERABLE = 0, 1
_JOIN_S = 5.0     # how long shutdown waits for a worker before terminating it
_WATCH_S = 5.0    # with timeout=0, how often the main process checks its workers are alive
LOAD_AHEAD = True  # upload batch N+1 before returning batch N (False: only for measuring it)


_tokens = itertools.count()  # tells apart the /dev/shm files of this process's iterators


class _InfiniteConstantSampler:
    """An iterable dataset's "sampler": every task is just "the next batch"."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """torch.utils.data.DataLoader's arguments, defaults and checks; yields kiln Tensors."""

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=2, persistent_workers=False, pin_memory_device=""):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor != 2:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing.")
        assert prefetch_factor > 0
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory  # accepted; kiln batches live on the daemon
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _ITERABLE
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 "shuffle option, but got shuffle={}".format(shuffle))
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 "sampler option, but got sampler={}".format(sampler))
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 "batch_sampler option, but got batch_sampler={}"
                                 .format(batch_sampler))
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _MAP

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == _ITERABLE:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._iterator = None
        self.__initialized = True

    @property
    def multiprocessing_context(self):
        return self.__mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx):
        if ctx is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 "loading (num_workers > 0), but got num_workers={}"
                                 .format(self.num_workers))
            if isinstance(ctx, str):
                valid = multiprocessing.get_all_start_methods()
                if ctx not in valid:
                    raise ValueError("multiprocessing_context option should specify a valid start "
                                     "method in {!r}, but got multiprocessing_context={!r}"
                                     .format(valid, ctx))
                ctx = multiprocessing.get_context(ctx)
            elif not isinstance(ctx, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object "
                                "or a string specifying the start method, but got "
                                "multiprocessing_context={}".format(ctx))
        self.__mp_context = ctx

    def __setattr__(self, attr, val):
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last",
                                           "dataset", "persistent_workers"):
            raise ValueError("{} attribute should not be set after {} is initialized"
                             .format(attr, type(self).__name__))
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __len__(self):
        if self._dataset_kind == _ITERABLE:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def _host_collate(self):
        """(collate_fn giving host batches, batch_fn for the dataset's one-gather path)."""
        fn = self.collate_fn
        batch_fn = None
        if fn is default_collate:
            fn = collate
            if self._dataset_kind == _MAP and has_batch_path(self.dataset):
                batch_fn = self.dataset._kiln_batch
        elif fn is default_convert:
            fn = convert
        return fn, batch_fn


class _BaseIter:
    """Returns batch N while batch N+1 is already uploaded (see the module docstring)."""

    def __init__(self, loader):
        # no strong reference back: a persistent loader holds its iterator, and a cycle would
        # keep the workers of a dropped loader alive until the garbage collector runs
        self._loader_ref = weakref.ref(loader)
        self._batch_size = loader.batch_size
        self._iterable = loader._dataset_kind == _ITERABLE
        self._auto = loader._auto_collation
        self._drop_last = loader.drop_last
        self._collate, self._batch_fn = loader._host_collate()
        self._base_seed = draw_seed(loader.generator)
        self._sampler_iter = iter(loader._index_sampler)
        self._ahead = None     # the next batch: ("ok", Pending) / ("end", None) / ("err", e)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _next_index(self):
        idx = next(self._sampler_iter)
        return self._batch_size if self._iterable and self._auto else idx

    def _load(self):
        """The next batch, its upload started: ("ok", Pending) / ("end", None) / ("err", e)."""
        try:
            return ("ok", _upload.Pending(self._next_host()))
        except StopIteration:
            return ("end", None)
        except Exception as e:  # noqa: BLE001  (raised when that batch is asked for)
            return ("err", e)

    def __next__(self):
        cur = self._ahead if self._ahead is not None else self._load()
        self._ahead = None
        if cur[0] == "end":
            self._on_end()
            raise StopIteration
        if cur[0] == "err":
            err, cur = cur[1], None
            try:
                raise err
            finally:
                err = None  # no frame -> exception -> traceback -> frame cycle: keep the
                #             iterator collectable by refcount (its __del__ stops workers)
        batch = cur[1].finish()
        if LOAD_AHEAD:
            self._ahead = self._load()
        self._num_yielded += 1
        return batch

    def _drop_ahead(self):
        ahead, self._ahead = getattr(self, "_ahead", None), None
        if ahead is not None and ahead[0] == "ok":
            try:
                ahead[1].drop()
            except Exception:  # noqa: BLE001  (interpreter exit: the session may be gone)
                pass

    def __del__(self):
        self._drop_ahead()

    def _on_end(self):
        pass

    def __len__(self):
        return len(self._loader_ref())

    def __getstate__(self):
        raise NotImplementedError("{} cannot be pickled".format(type(self).__name__))


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = _worker.Fetcher(loader.dataset, self._iterable, self._auto,
                                        self._collate, self._drop_last, self._batch_fn)

    def _next_host(self):
        return self._fetcher.fetch(self._next_index())


class _MultiProcessIter(_BaseIter):
    """Workers fed round-robin with tasks, prefetch_factor * num_workers in flight; results are
    reordered to the sampler's order."""

    _shutdown = True  # until workers exist (a failed __init__ leaves nothing to stop)
    _workers = ()
    _shm_token = None

    def __init__(self, loader):
        super().__init__(loader)
        self._n = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        ctx = loader.multiprocessing_context or multiprocessing.get_context("fork")
        _prepare(loader.dataset)  # host copies of daemon tensors, before fork
        self._shm_token = ("%d-%d" % (os.getpid(), next(_tokens))
                           if os.path.isdir(_worker.SHM_DIR) else None)
        self._data_queue = ctx.Queue()
        self._done = ctx.Event()
        self._index_queues, self._workers = [], []
        self._active = [True] * self._n
        self._shutdown = False
        for i in range(self._n):
            q = ctx.Queue()
            q.cancel_join_thread()  # never block exit on tasks a dead worker will not read
            w = ctx.Process(target=_worker.worker_loop,
                            args=(loader.dataset, self._iterable, q, self._data_queue, self._done,
                                  self._auto, self._collate, self._drop_last, self._batch_fn,
                                  self._base_seed, loader.worker_init_fn, i, self._n,
                                  self._shm_token),
                            name="kiln.utils.data worker %d" % i, daemon=True)
            w.start()
            self._index_queues.append(q)
            self._workers.append(w)
        self._reset(loader, first=True)

    def _reset(self, loader, first=False):
        if not first:
            self._drop_ahead()
            for info in self._tasks.values():  # received, never returned
                if len(info) == 2:
                    _worker.discard(info[1])
            super().__init__(loader)
        self._worker_cycle = itertools.cycle(range(self._n))
        self._send_idx = 0
        self._rcvd_idx = 0
        self._tasks = {}          # task id -> (worker,) while pending, (worker, data) once here
        self._outstanding = 0
        self._active = [True] * self._n
        if not first:
            # persistent workers: every worker acknowledges; results of the old epoch that
            # were still in flight arrive before the acknowledgement and are dropped
            for q in self._index_queues:
                q.put(_worker.Resume())
            left = self._n
            while left:
                idx, data = self._get()
                _worker.discard(data)
                if isinstance(idx, _worker.Resume):
                    left -= 1
        for _ in range(self._prefetch * self._n):
            self._put_task()

    def _put_task(self):
        assert self._outstanding < self._prefetch * self._n
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._n):
            w = next(self._worker_cycle)
            if self._active[w]:
                break
        else:
            return  # every worker has ended (iterable dataset)
        self._index_queues[w].put((self._send_idx, index))
        self._tasks[self._send_idx] = (w,)
        self._outstanding += 1
        self._send_idx += 1

    def _get(self):
        if self._timeout > 0:
            try:
                return self._data_queue.get(timeout=self._timeout)
            except queue.Empty:
                raise RuntimeError("DataLoader timed out after {} seconds"
                                   .format(self._timeout)) from None
        while True:
            try:
                return self._data_queue.get(timeout=_WATCH_S)
            except queue.Empty:
                dead = [w for i, w in enumerate(self._workers)
                        if self._active[i] and not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    raise RuntimeError("DataLoader worker (pid(s) {}) exited unexpectedly".format(
                        ", ".join(str(w.pid) for w in dead))) from None

    def _next_host(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._tasks[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._tasks[self._rcvd_idx]  # its worker ended: that task yields nothing
                self._rcvd_idx += 1
            else:
                raise StopIteration
            if len(self._tasks[self._rcvd_idx]) == 2:
                return self._process(self._tasks.pop(self._rcvd_idx)[1])
            idx, data = self._get()
            self._outstanding -= 1
            if isinstance(data, _worker.IterableEnd):
                if self._persistent:
                    self._active[data.worker_id] = False
                else:
                    self._mark_ended(data.worker_id)
                self._put_task()
                continue
            if idx != self._rcvd_idx:
                self._tasks[idx] += (data,)
                continue
            del self._tasks[idx]
            return self._process(data)

    def _mark_ended(self, w):
        self._active[w] = False
        self._index_queues[w].put(None)

    def _process(self, data):
        self._rcvd_idx += 1
        self._put_task()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return _worker.unpark(data)

    def _on_end(self):
        if not self._persistent:
            self._shutdown_workers()

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done.set()
            for q in self._index_queues:
                q.put(None)
            for w in self._workers:
                w.join(timeout=_JOIN_S)
                if w.is_alive():
                    w.terminate()
                    w.join()
            for q in self._index_queues:
                q.close()
            self._data_queue.cancel_join_thread()
            self._data_queue.close()
            if self._shm_token is not None:  # batches in flight or never read
                for p in glob.glob(_worker.shm_prefix(self._shm_token) + "*"):
                    _worker.ShmLeaf(p, "", ()).discard()
        except Exception:  # noqa: BLE001  (interpreter shutdown: best effort)
            pass

    def __del__(self):
        self._drop_ahead()
        self._shutdown_workers()
