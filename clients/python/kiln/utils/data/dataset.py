"""Datasets: torch.utils.data's map-style and iterable-style classes over kiln Tensors and numpy
arrays, and random_split.

A TensorDataset of kiln Tensors keeps its data on the daemon. DataLoader workers must not
talk to the daemon (a forked gRPC channel is unusable), so before forking the loader asks the
dataset tree for host copies (`_kiln_prepare_workers`): the tensors are downloaded once and the
workers index those numpy copies instead."""

import bisect
import math
import warnings

import numpy as np

from kiln import _runtime as rt
from kiln._tensor import Tensor
from kiln.utils._generator import numpy_rng
from kiln.utils.data import _worker
from kiln.utils.data.collate import HostTensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split"]


class Dataset:
    """A map-style dataset: `__getitem__(index)` and, usually, `__len__`."""

    def __getitem__(self, index):
        raise NotImplementedError

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """An iterable-style dataset: `__iter__` yields samples. With DataLoader workers each worker
    iterates its own copy; shard with `get_worker_info()`."""

    def __iter__(self):
        raise NotImplementedError

    def __add__(self, other):
        return ChainDataset([self, other])


def _rows(t):
    if isinstance(t, Tensor):
        return t.shape[0] if t.dim() > 0 else None
    a = np.asarray(t)
    return a.shape[0] if a.ndim > 0 else None


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor (kiln Tensors or numpy arrays)."""

    def __init__(self, *tensors):
        tensors = tuple(t if isinstance(t, Tensor) else np.asarray(t) for t in tensors)
        for t in tensors:
            if _rows(t) is None:
                raise IndexError("dimension specified as 0 but tensor has no dimensions")
        assert all(_rows(tensors[0]) == _rows(t) for t in tensors), "Size mismatch between tensors"
        self.tensors = tensors
        self._host = None

    def __getitem__(self, index):
        if self._host is not None and _worker.in_worker():
            return tuple(HostTensor.wrap(h[index]) for h in self._host)
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return _rows(self.tensors[0])

    def _kiln_prepare_workers(self):
        if self._host is None:
            self._host = [t.detach().numpy() if isinstance(t, Tensor) else t for t in self.tensors]

    def __getstate__(self):
        # pickled for "spawn" workers: the host copies travel, the daemon's tensors cannot
        state = dict(self.__dict__)
        if any(isinstance(t, Tensor) for t in self.tensors):
            if self._host is None:
                raise TypeError("a TensorDataset of kiln Tensors cannot be pickled (its tensors "
                                "live in kilnd); DataLoader workers get host copies")
            state["tensors"] = tuple(self._host)
        return state

    def _kiln_batch(self, indices):
        """default_collate(self[i] for i in indices) in one gather per tensor."""
        if self._host is not None and _worker.in_worker():
            return [HostTensor.wrap(h[indices]) for h in self._host]
        idx = None
        out = []
        for t in self.tensors:
            if isinstance(t, Tensor):
                if idx is None:
                    idx = np.asarray(indices, dtype=np.int64)
                    idx = np.where(idx < 0, idx + len(self), idx)
                    from kiln._tensor import from_array
                    idx = from_array(idx, "int64", c=t._c)
                out.append(t.index_select(0, idx))
            else:
                out.append(HostTensor.wrap(t[np.asarray(indices, dtype=np.int64)]))
        return out


class Subset(Dataset):
    """`dataset` seen through `indices`."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)

    def _kiln_batch(self, indices):
        return self.dataset._kiln_batch([self.indices[i] for i in indices])


def _cumsum(datasets):
    out, s = [], 0
    for d in datasets:
        s += len(d)
        out.append(s)
    return out


class ConcatDataset(Dataset):
    """The samples of several map-style datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        assert len(self.datasets) > 0, "datasets should not be an empty iterable"
        for d in self.datasets:
            assert not isinstance(d, IterableDataset), \
                "ConcatDataset does not support IterableDataset"
        self.cumulative_sizes = _cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        return self.datasets[k][idx - (self.cumulative_sizes[k - 1] if k else 0)]


class ChainDataset(IterableDataset):
    """Iterable datasets chained: each is exhausted before the next starts."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            assert isinstance(d, IterableDataset), "ChainDataset only supports IterableDataset"
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            assert isinstance(d, IterableDataset), "ChainDataset only supports IterableDataset"
            total += len(d)
        return total


def _prepare(dataset, seen=None):
    """Before forking workers: host copies for every TensorDataset of kiln Tensors reachable
    from `dataset` (its own datasets, and Dataset attributes of a user's wrapper class)."""
    seen = set() if seen is None else seen
    if id(dataset) in seen:
        return
    seen.add(id(dataset))
    f = getattr(dataset, "_kiln_prepare_workers", None)
    if f is not None:
        f()
    for v in getattr(dataset, "__dict__", {}).values():
        for d in (v if isinstance(v, (list, tuple)) else (v,)):
            if isinstance(d, Dataset):
                _prepare(d, seen)


def has_batch_path(dataset):
    """Whether `dataset._kiln_batch(indices)` equals default_collate of its samples."""
    if type(dataset) is Subset:
        return has_batch_path(dataset.dataset)
    return type(dataset) is TensorDataset


def random_split(dataset, lengths, generator=None):
    """Non-overlapping Subsets of the given lengths (ints, or fractions summing to 1) over a
    random permutation drawn from `generator` (kiln's global stream when None)."""
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * frac)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
        for i, k in enumerate(lengths):
            if k == 0:
                warnings.warn(f"Length of split at index {i} is 0. "
                              f"This might result in an empty dataset.")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    rng = rt.rng if generator is None else numpy_rng(generator)
    perm = rng.permutation(sum(lengths)).tolist()
    out, off = [], 0
    for k in lengths:
        out.append(Subset(dataset, perm[off:off + k]))
        off += k
    return out
