"""kiln.utils.data vs torch.utils.data: the same datasets, samplers, collation and loaders on
the same inputs give the same lengths, index multisets, batch values, shapes and dtypes, and
the same argument errors; workers give the num_workers=0 batches in order."""

import collections
import gc
import glob
import multiprocessing
import os
import time
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

Point = collections.namedtuple("Point", "x y")

R = np.random.default_rng(0)
X = R.standard_normal((10, 3)).astype(np.float32)
Y = np.arange(10, dtype=np.int64)


@pytest.fixture(scope="module")
def kud(kiln):
    import kiln.utils.data as d
    return d


def norm(x):
    """A comparable form of a batch from either library."""
    if isinstance(x, torch.Tensor):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.numpy().tolist())
    if type(x).__module__.startswith("kiln"):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.numpy().tolist())
    if isinstance(x, dict):
        return ("dict", type(x).__name__, sorted((k, norm(v)) for k, v in x.items()))
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return ("nt", type(x).__name__, [norm(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [norm(v) for v in x])
    if isinstance(x, np.ndarray):
        return ("np", str(x.dtype), x.tolist())
    return x


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def same_error(kfn, tfn):
    ke, te = error_of(kfn), error_of(tfn)
    assert te is not None and ke == te, (ke, te)


# ---------------------------------------------------------------- datasets

def test_tensor_dataset(kiln, kud):
    ts = tud.TensorDataset(torch.tensor(X), torch.tensor(Y))
    for ds in (kud.TensorDataset(X, Y), kud.TensorDataset(kiln.tensor(X), kiln.tensor(Y))):
        assert len(ds) == len(ts) == 10
        for i in (0, 3, -1):
            if isinstance(ds.tensors[0], np.ndarray):  # numpy in, numpy rows out
                assert [np.asarray(v).tolist() for v in ds[i]] == [v.tolist() for v in ts[i]]
            else:
                assert norm(list(ds[i])) == norm(list(ts[i]))
    same_error(lambda: kud.TensorDataset(X, Y[:3]),
               lambda: tud.TensorDataset(torch.tensor(X), torch.tensor(Y[:3])))


def test_subset_concat_chain(kud):
    s, t = kud.Subset(list(range(10)), [7, 2, 5]), tud.Subset(list(range(10)), [7, 2, 5])
    assert len(s) == len(t) and [s[i] for i in range(3)] == [t[i] for i in range(3)]
    arr = np.arange(10) * 3  # a list index goes to the dataset as a list
    ks, ts = kud.Subset(arr, [7, 2, 5]), tud.Subset(arr, [7, 2, 5])
    assert ks[[0, 2]].tolist() == ts[[0, 2]].tolist()
    a, b = list(range(3)), list(range(10, 15))
    kc, tc = kud.ConcatDataset([a, b]), tud.ConcatDataset([a, b])
    assert len(kc) == len(tc) == 8 and kc.cumulative_sizes == tc.cumulative_sizes
    assert [kc[i] for i in range(-8, 8)] == [tc[i] for i in range(-8, 8)]
    same_error(lambda: kc[-9], lambda: tc[-9])
    same_error(lambda: kud.ConcatDataset([]), lambda: tud.ConcatDataset([]))

    class KD(kud.Dataset):
        def __getitem__(self, i):
            return i

        def __len__(self):
            return 4
    both = KD() + KD()
    assert isinstance(both, kud.ConcatDataset) and len(both) == 8 and both[5] == 1

    def it(base, n):
        class I(base):
            def __iter__(self):
                return iter(range(n))

            def __len__(self):
                return n
        return I()
    kch = it(kud.IterableDataset, 3) + it(kud.IterableDataset, 2)
    tch = it(tud.IterableDataset, 3) + it(tud.IterableDataset, 2)
    assert isinstance(kch, kud.ChainDataset)
    assert list(kch) == list(tch) and len(kch) == len(tch) == 5
    same_error(lambda: kud.ConcatDataset([it(kud.IterableDataset, 1)]),
               lambda: tud.ConcatDataset([it(tud.IterableDataset, 1)]))
    with pytest.raises(NotImplementedError):
        kud.Dataset()[0]


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.5, 0.5], [0.33, 0.33, 0.34],
                                     [1.0], [10, 0]])
def test_random_split(kiln, kud, lengths):
    ds = list(range(10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ks = kud.random_split(ds, lengths, generator=kiln.Generator().manual_seed(3))
        ts = tud.random_split(ds, lengths, generator=torch.Generator().manual_seed(3))
    assert [len(s) for s in ks] == [len(s) for s in ts]
    items = sorted(x for s in ks for x in s)
    assert items == ds  # a partition
    again = kud.random_split(ds, lengths, generator=kiln.Generator().manual_seed(3))
    assert [list(s) for s in again] == [list(s) for s in ks]
    kiln.manual_seed(5)
    g1 = [list(s) for s in kud.random_split(ds, lengths)]
    kiln.manual_seed(5)
    assert [list(s) for s in kud.random_split(ds, lengths)] == g1


def test_random_split_errors(kiln, kud):
    for lengths in ([3, 3], [1.5, -0.5], [0.2, 0.2]):
        same_error(lambda: kud.random_split(range(10), lengths),
                   lambda: tud.random_split(range(10), lengths))
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        kud.random_split(range(1), [0.5, 0.5])
    a, b = ([list(s) for s in kud.random_split(range(50), [25, 25],
                                                generator=kiln.Generator().manual_seed(seed))]
            for seed in (1, 2))
    assert a != b


# ---------------------------------------------------------------- samplers

def test_samplers(kiln, kud):
    ds = list(range(7))
    assert list(kud.SequentialSampler(ds)) == list(tud.SequentialSampler(ds))
    for kw in ({}, {"num_samples": 17}, {"num_samples": 3}):
        k = list(kud.RandomSampler(ds, generator=kiln.Generator().manual_seed(0), **kw))
        t = list(tud.RandomSampler(ds, generator=torch.Generator().manual_seed(0), **kw))
        assert len(k) == len(t) == len(kud.RandomSampler(ds, **kw))
        if len(t) % 7 == 0:
            assert sorted(k) == sorted(t)  # whole permutations: the same multiset
        assert all(c <= -(-len(k) // 7) for c in collections.Counter(k).values())
    k = list(kud.RandomSampler(ds, replacement=True, num_samples=100))
    assert len(k) == 100 and set(k) <= set(ds) and len(set(k)) > 1
    g = kiln.Generator().manual_seed(9)
    s = kud.RandomSampler(ds, generator=g)
    e1, e2 = list(s), list(s)
    assert sorted(e1) == sorted(e2) == ds and e1 != e2  # a new order each epoch
    assert list(kud.RandomSampler(ds, generator=kiln.Generator().manual_seed(9))) == e1
    for kw in ({"replacement": 1}, {"num_samples": 0}, {"num_samples": 2.0}):
        same_error(lambda: kud.RandomSampler(ds, **kw), lambda: tud.RandomSampler(ds, **kw))

    idx = [4, 9, 11, 2]
    assert sorted(kud.SubsetRandomSampler(idx)) == sorted(tud.SubsetRandomSampler(idx))
    assert len(kud.SubsetRandomSampler(idx)) == 4


def test_weighted_sampler(kiln, kud):
    w = [0.0, 1.0, 3.0, 0.0, 2.0]
    k = list(kud.WeightedRandomSampler(w, 300, generator=kiln.Generator().manual_seed(0)))
    assert len(k) == 300 and set(k) == {1, 2, 4}
    c = collections.Counter(k)
    assert c[2] > c[1]  # proportional to the weights (3 vs 1)
    k = list(kud.WeightedRandomSampler(kiln.tensor(w), 3, replacement=False))
    assert sorted(k) == [1, 2, 4]
    # beyond the positive weights torch draws the zero ones: the same multiset
    assert sorted(kud.WeightedRandomSampler([1.0, 0, 0], 2, False)) == \
        sorted(tud.WeightedRandomSampler([1.0, 0, 0], 2, False))
    for args in (([1.0, -1.0], 2), ([0.0, 0.0], 1), ([1.0, 1.0], 3, False), ([1.0], 0),
                 ([1.0], 1, 1), ([[1.0, 2.0]], 1)):
        same_error(lambda: list(kud.WeightedRandomSampler(*args)),
                   lambda: list(tud.WeightedRandomSampler(*args)))


def test_batch_sampler(kud):
    for n, bs, dl in ((10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True)):
        k = kud.BatchSampler(kud.SequentialSampler(range(n)), bs, dl)
        t = tud.BatchSampler(tud.SequentialSampler(range(n)), bs, dl)
        assert list(k) == list(t) and len(k) == len(t)
    for args in ((0, False), (True, False), (2, 1)):
        same_error(lambda: kud.BatchSampler(range(3), *args),
                   lambda: tud.BatchSampler(range(3), *args))


# ---------------------------------------------------------------- collation

def _samples():
    r = np.random.default_rng(1)
    return {
        "ints": [1, 2, 3],
        "floats": [1.5, 2.0],
        "bools": [True, False],
        "int-then-float": [1, 2.5],
        "float-then-int": [1.0, 2],
        "np-f32": [r.standard_normal((2, 3)).astype(np.float32) for _ in range(3)],
        "np-i32": [np.arange(4, dtype=np.int32) for _ in range(2)],
        "np-u8": [np.arange(3, dtype=np.uint8)] * 2,
        "np-bool": [np.array([True, False])] * 2,
        "np-0d": [np.array(2.5), np.array(3.5)],
        "np-scalars": [np.float32(1), np.float32(2)],
        "np-int-scalars": [np.int8(1), np.int8(7)],
        "np-float64-scalars": [np.float64(1.25)],
        "str": ["a", "b"],
        "bytes": [b"a", b"b"],
        "dict": [{"x": np.ones(2), "y": 1, "s": "p"}, {"x": np.zeros(2), "y": 2, "s": "q"}],
        "namedtuple": [Point(1, 2.0), Point(3, 4.0)],
        "tuples": [(np.ones(2, np.float32), 1), (np.zeros(2, np.float32), 0)],
        "lists": [[1, [2.0, "s"]], [3, [4.0, "t"]]],
        "nested-dict": [{"a": {"b": [1, 2]}}, {"a": {"b": [3, 4]}}],
    }


@pytest.mark.parametrize("name", list(_samples()))
def test_default_collate(kud, name):
    batch = _samples()[name]
    assert norm(kud.default_collate(batch)) == norm(tud.default_collate(batch))
    assert norm(kud.default_convert(batch[0])) == norm(tud.default_convert(batch[0]))


def test_collate_tensors(kiln, kud):
    a = R.standard_normal((3, 2, 4))
    k = kud.default_collate([kiln.tensor(x) for x in a])
    t = tud.default_collate([torch.tensor(x) for x in a])
    assert norm(k) == norm(t)
    k = kud.default_collate([(kiln.tensor(x), i) for i, x in enumerate(a)])
    t = tud.default_collate([(torch.tensor(x), i) for i, x in enumerate(a)])
    assert norm(k) == norm(t)


@pytest.mark.parametrize("batch", [[object()], [None], [np.array(["a"])],
                                   [np.array([1]), np.array([1, 2])],
                                   [[1, 2], [1]], [{1, 2}]], ids=str)
def test_collate_errors(kud, batch):
    same_error(lambda: kud.default_collate(batch), lambda: tud.default_collate(batch))


# ---------------------------------------------------------------- DataLoader, one process

class MapDS:
    """A map-style dataset both libraries can load: dict samples with arrays and numbers."""

    def __init__(self, n=11):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        return {"x": X[i % 10] * 1, "y": int(Y[i % 10]), "w": float(i) / 2, "tag": "s%d" % i}


def loaders(kud, ds, **kw):
    return kud.DataLoader(ds, **kw), tud.DataLoader(ds, **kw)


@pytest.mark.parametrize("kw", [{}, {"batch_size": 4}, {"batch_size": 4, "drop_last": True},
                                {"batch_size": 20}, {"batch_size": 20, "drop_last": True},
                                {"batch_size": None}],
                         ids=str)
def test_loader_matches_torch(kud, kw):
    k, t = loaders(kud, MapDS(), **kw)
    kb, tb = [norm(b) for b in k], [norm(b) for b in t]
    assert len(k) == len(t) == len(kb) and kb == tb


def test_loader_tensor_dataset(kiln, kud):
    k = kud.DataLoader(kud.TensorDataset(kiln.tensor(X), kiln.tensor(Y)), batch_size=3)
    t = tud.DataLoader(tud.TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=3)
    assert [norm(b) for b in k] == [norm(b) for b in t]
    k = kud.DataLoader(kud.Subset(kud.TensorDataset(X, Y), [9, 1, 4, 4]), batch_size=3)
    t = tud.DataLoader(tud.Subset(tud.TensorDataset(torch.tensor(X), torch.tensor(Y)),
                                  [9, 1, 4, 4]),
                       batch_size=3)
    assert [norm(b) for b in k] == [norm(b) for b in t]


def test_loader_samplers(kiln, kud):
    bs = [[3, 1], [0], [7, 8, 9]]
    k, t = loaders(kud, MapDS(), batch_sampler=bs)
    assert [norm(b) for b in k] == [norm(b) for b in t] and len(k) == 3
    k, t = loaders(kud, MapDS(), sampler=[5, 2, 2, 0], batch_size=3)
    assert [norm(b) for b in k] == [norm(b) for b in t]
    k, t = loaders(kud, MapDS(), sampler=[5, 2], batch_size=None)
    assert [norm(b) for b in k] == [norm(b) for b in t]
    k = kud.DataLoader(MapDS(), batch_size=None, collate_fn=lambda s: s["y"])
    assert list(k) == list(range(10)) + [0]


def test_loader_shuffle(kiln, kud):
    def epoch(loader):
        return [b.numpy().tolist() for b in loader]
    ds = list(range(23))
    g = kiln.Generator().manual_seed(7)
    k = kud.DataLoader(ds, batch_size=5, shuffle=True, generator=g)
    e1, e2 = epoch(k), epoch(k)
    assert sorted(sum(e1, [])) == ds and sorted(sum(e2, [])) == ds and e1 != e2
    assert [len(b) for b in e1] == [5, 5, 5, 5, 3]
    again = kud.DataLoader(ds, batch_size=5, shuffle=True,
                           generator=kiln.Generator().manual_seed(7))
    assert epoch(again) == e1
    kiln.manual_seed(11)
    a = epoch(kud.DataLoader(ds, batch_size=5, shuffle=True))
    kiln.manual_seed(11)
    assert epoch(kud.DataLoader(ds, batch_size=5, shuffle=True)) == a


ARG_ERRORS = [
    {"num_workers": -1}, {"timeout": -1}, {"prefetch_factor": 3}, {"persistent_workers": True},
    {"sampler": [0], "shuffle": True}, {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True}, {"batch_sampler": [[0]], "drop_last": True},
    {"batch_sampler": [[0]], "sampler": [0]}, {"batch_size": None, "drop_last": True},
    {"batch_size": 0}, {"multiprocessing_context": "fork"},
    {"num_workers": 1, "multiprocessing_context": "nope"},
]


@pytest.mark.parametrize("kw", ARG_ERRORS, ids=str)
def test_loader_arg_errors(kud, kw):
    same_error(lambda: kud.DataLoader(MapDS(), **kw), lambda: tud.DataLoader(MapDS(), **kw))


def _iterable(base, n=7, shard=True):
    class It(base):
        def __iter__(self):
            info = get_info(base)()
            if info is None or not shard:
                return iter(range(n))
            return iter(range(info.id, n, info.num_workers))

        def __len__(self):
            return n
    return It()


def get_info(base):
    if base is tud.IterableDataset:
        return tud.get_worker_info
    import kiln.utils.data as d
    return d.get_worker_info


def test_iterable_loader_errors_and_len(kud):
    for kw in ({"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}):
        same_error(lambda: kud.DataLoader(_iterable(kud.IterableDataset), **kw),
                   lambda: tud.DataLoader(_iterable(tud.IterableDataset), **kw))
    for kw in ({}, {"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}):
        k = kud.DataLoader(_iterable(kud.IterableDataset), **kw)
        t = tud.DataLoader(_iterable(tud.IterableDataset), **kw)
        assert len(k) == len(t) and [norm(b) for b in k] == [norm(b) for b in t]


def test_loader_attributes(kud):
    k = kud.DataLoader(MapDS(), batch_size=2)
    same_error(lambda: setattr(k, "batch_size", 3),
               lambda: setattr(tud.DataLoader(MapDS(), batch_size=2), "batch_size", 3))
    k.num_workers = 0  # not frozen, as in torch
    assert kud.get_worker_info() is None


# ---------------------------------------------------------------- DataLoader, workers

def ours():
    return [p for p in multiprocessing.active_children() if p.name.startswith("kiln.utils.data")]


def no_children():
    """No kiln worker process is left (iterators kept alive by a traceback collected first;
    torch's own workers, started for comparison, are torch's business)."""
    gc.collect()
    deadline = time.time() + 10
    while ours() and time.time() < deadline:
        time.sleep(0.05)
    assert not ours(), [(p.name, p.pid) for p in ours()]
    return True


@pytest.mark.parametrize("kw", [{"batch_size": 4, "drop_last": True}, {"batch_size": None},
                                {"batch_size": 2, "prefetch_factor": 1}],
                         ids=str)
def test_workers_match_single_process(kud, kw):
    ref = [norm(b) for b in kud.DataLoader(MapDS(), **{k: v for k, v in kw.items()
                                                        if k != "prefetch_factor"})]
    got = [norm(b) for b in kud.DataLoader(MapDS(), num_workers=2, **kw)]
    assert got == ref
    assert no_children()


def test_workers_tensor_dataset(kiln, kud):
    for ds in (kud.TensorDataset(kiln.tensor(X), kiln.tensor(Y)),
               kud.Subset(kud.TensorDataset(kiln.tensor(X), Y), [1, 8, 3, 3, 0])):
        ref = [norm(b) for b in kud.DataLoader(ds, batch_size=3)]
        assert [norm(b) for b in kud.DataLoader(ds, batch_size=3, num_workers=2)] == ref
    g = kiln.Generator().manual_seed(4)
    ds = kud.TensorDataset(X, Y)
    a = [norm(b) for b in kud.DataLoader(ds, batch_size=3, shuffle=True, generator=g)]
    g.manual_seed(4)
    assert [norm(b) for b in kud.DataLoader(ds, batch_size=3, shuffle=True, generator=g,
                                            num_workers=2)] == a


def test_worker_exception(kud):
    def bad(base):
        class Bad(base):
            def __getitem__(self, i):
                if i == 2:
                    raise ValueError("sample %d is broken" % i)
                return super().__getitem__(i)
        return Bad()
    msgs = []
    for lib, base in ((kud, MapDS), (tud, MapDS)):
        it = iter(lib.DataLoader(bad(base), batch_size=2, num_workers=2))
        next(it)
        with pytest.raises(ValueError) as e:
            next(it)
        msgs.append(str(e.value))
        assert len(next(it)["y"]) == 2  # the loader goes on after a worker's error
        assert len(list(it)) == 3  # and ends (stopping its workers) as usual
        del it, e
    first = "Caught ValueError in DataLoader worker process 1.\nOriginal Traceback"
    assert msgs[0].startswith(first) and msgs[1].startswith(first)
    assert "sample 2 is broken" in msgs[0] and "__getitem__" in msgs[0]
    assert msgs[0].splitlines()[-1] == msgs[1].splitlines()[-1] == "ValueError: sample 2 is broken"
    assert no_children()


def test_worker_errors_single_process_same_type(kud):
    class Bad(MapDS):
        def __getitem__(self, i):
            raise KeyError("k")
    with pytest.raises(KeyError):
        next(iter(kud.DataLoader(Bad(), num_workers=0)))
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process"):
        next(iter(kud.DataLoader(Bad(), num_workers=1)))
    assert no_children()


@pytest.mark.parametrize("kw,shard", [({"batch_size": 2}, True), ({"batch_size": None}, True),
                                      ({"batch_size": 2, "drop_last": True}, False)], ids=str)
def test_iterable_with_workers_matches_torch(kud, kw, shard):
    k = kud.DataLoader(_iterable(kud.IterableDataset, shard=shard), num_workers=2, **kw)
    t = tud.DataLoader(_iterable(tud.IterableDataset, shard=shard), num_workers=2, **kw)
    assert [norm(b) for b in k] == [norm(b) for b in t]
    assert no_children()


def test_worker_info_and_init_fn(kud):
    class Info(MapDS):
        def __getitem__(self, i):
            w = kud.get_worker_info()
            return np.array([w.id, w.num_workers, os.getpid(), w.seed % 1000])
    rows = np.concatenate([b.numpy() for b in kud.DataLoader(Info(6), batch_size=2, num_workers=2)])
    assert rows[:, 0].tolist() == [0, 0, 1, 1, 0, 0] and set(rows[:, 1]) == {2}
    assert len(set(rows[:, 2])) == 2 and os.getpid() not in set(rows[:, 2])
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        kud.WorkerInfo(id=0).id = 1

    def init(worker_id):
        if worker_id == 1:
            raise RuntimeError("init failed in %d" % worker_id)
    it = iter(kud.DataLoader(MapDS(), batch_size=2, num_workers=2, worker_init_fn=init))
    next(it)
    with pytest.raises(RuntimeError, match="worker process 1(.|\n)*init failed in 1"):
        next(it)
    del it


def test_worker_refuses_kilnd(kiln, kud):
    class KilnRows(MapDS):
        def __getitem__(self, i):
            return kiln.tensor([float(i)])
    it = iter(kud.DataLoader(KilnRows(), batch_size=2, num_workers=1))
    with pytest.raises(RuntimeError, match="cannot use kilnd"):
        next(it)
    del it
    # the session still works after the worker's failure
    assert kiln.tensor([1.0, 2.0]).sum().item() == 3.0


def test_early_delete_timeout_persistent(kud):
    it = iter(kud.DataLoader(MapDS(200), batch_size=2, num_workers=2))
    next(it)
    del it
    assert no_children()

    class Slow(MapDS):
        def __getitem__(self, i):
            time.sleep(0.8)
            return i
    it = iter(kud.DataLoader(Slow(), num_workers=1, timeout=0.1))
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.1 seconds"):
        next(it)
    del it
    assert no_children()

    k = kud.DataLoader(MapDS(), batch_size=3, num_workers=2, persistent_workers=True)
    e1 = [norm(b) for b in k]
    pids = {w.pid for w in k._iterator._workers}
    it = iter(k)
    next(it)  # an abandoned epoch: its in-flight batches are dropped at the next iter()
    e2 = [norm(b) for b in k]
    assert e1 == e2 == [norm(b) for b in kud.DataLoader(MapDS(), batch_size=3)]
    assert {w.pid for w in k._iterator._workers} == pids
    del k, it  # dropping the loader stops its persistent workers (no garbage collection needed)
    deadline = time.time() + 10
    while ours() and time.time() < deadline:
        time.sleep(0.05)
    assert not ours()


def test_generator(kiln):
    g = kiln.Generator()
    assert g.manual_seed(42) is g and g.initial_seed() == 42
    s = g.seed()
    assert g.initial_seed() == s
    st = g.get_state()
    a = g._np.random(3)
    g.set_state(st)
    assert (g._np.random(3) == a).all()


def test_background_upload(kiln, kud):
    """Batches of 64 KiB and more are uploaded by the loader's thread, one batch ahead; from
    workers, arrays of 256 KiB and more travel through /dev/shm files, removed once read."""
    big = np.random.default_rng(2).standard_normal((96, 4096)).astype(np.float32)
    lbl = np.arange(96)
    ref = tud.DataLoader(tud.TensorDataset(torch.tensor(big), torch.tensor(lbl)), batch_size=32)
    for workers in (0, 2):
        k = kud.DataLoader(kud.TensorDataset(big, lbl), batch_size=32, num_workers=workers)
        it = iter(k)
        first = next(it)
        assert it._ahead is not None and it._ahead[1].leaves  # batch 1 already on its way
        got = [first] + list(it)
        assert [norm(b) for b in got] == [norm(b) for b in ref]
        total = float((got[2][0] * 2).sum().item())
        assert total == pytest.approx(float(big[64:].sum() * 2), rel=1e-4)
    # abandoning an iterator with an upload in flight frees it cleanly
    it = iter(kud.DataLoader(kud.TensorDataset(big, lbl), batch_size=32))
    next(it)
    del it
    assert kiln.tensor([2.0]).sum().item() == 2.0
    # and one with worker batches parked in /dev/shm removes their files
    it = iter(kud.DataLoader(kud.TensorDataset(big, lbl), batch_size=16, num_workers=2))
    next(it)
    parked = "/dev/shm/kiln-data-%d-*" % os.getpid()
    deadline = time.time() + 10
    while not glob.glob(parked) and time.time() < deadline:
        time.sleep(0.05)
    assert glob.glob(parked)  # batches not read yet wait there
    del it
    assert no_children()
    assert not glob.glob(parked)


def test_workers_wrapped_kiln_dataset(kiln, kud):
    """A user's dataset holding a TensorDataset of kiln Tensors still works with workers."""
    class Wrap(kud.Dataset):
        def __init__(self):
            self.inner = kud.ConcatDataset([kud.TensorDataset(kiln.tensor(X))] * 2)

        def __len__(self):
            return len(self.inner)

        def __getitem__(self, i):
            return self.inner[i][0] * 2
    ref = [norm(b) for b in kud.DataLoader(Wrap(), batch_size=7)]
    assert [norm(b) for b in kud.DataLoader(Wrap(), batch_size=7, num_workers=2)] == ref
    assert no_children()


def test_persistent_iterable_workers(kud):
    """Persistent workers restart an iterable dataset each epoch, in torch's order."""
    kw = dict(batch_size=2, num_workers=2, persistent_workers=True)
    k = kud.DataLoader(_iterable(kud.IterableDataset), **kw)
    t = tud.DataLoader(_iterable(tud.IterableDataset), **kw)
    want = [norm(b) for b in t]
    assert [norm(b) for b in k] == want and [norm(b) for b in k] == want
    del k, t
    assert no_children()
