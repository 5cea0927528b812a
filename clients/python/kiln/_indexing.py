"""x[...] and x[...] = v through the table's view and index ops: ints select, slices slice,
None unsqueezes, tensors (and lists) gather with `index`, and assignment writes through a view
(fill_ / copy_) or with index_put_."""

from kiln._ops import call


def _tensor_cls():
    from kiln._tensor import Tensor
    return Tensor


def _normalize(t, idx):
    Tensor = _tensor_cls()
    if not isinstance(idx, tuple):
        idx = (idx,)
    items = []
    for i in idx:
        if isinstance(i, list) or (hasattr(i, "__array__") and not isinstance(i, Tensor)):
            from kiln._factories import tensor
            i = tensor(i)
            if i._m.dtype not in ("bool", "uint8"):
                i = i.to("int64")
        items.append(i)
    consumed = 0
    for i in items:
        if i is None or i is Ellipsis or isinstance(i, bool):
            continue
        if isinstance(i, Tensor) and i._meta().dtype in ("bool", "uint8"):
            consumed += i.ndim
        else:
            consumed += 1
    ndim = t.ndim
    if consumed > ndim:
        raise IndexError("too many indices for tensor of dimension %d" % ndim)
    if any(i is Ellipsis for i in items):
        k = items.index(Ellipsis)
        if any(i is Ellipsis for i in items[k + 1:]):
            raise IndexError("an index can only have a single ellipsis ('...')")
        items = items[:k] + [slice(None)] * (ndim - consumed) + items[k + 1:]
    return items


def _basic(t, items):
    """Applies ints, slices and None; returns (view, [(dim, index tensor)])."""
    Tensor = _tensor_cls()
    res, dim, adv = t, 0, []
    for i in items:
        if i is None:
            res = res.unsqueeze(dim)
            dim += 1
        elif isinstance(i, bool):
            res = res.unsqueeze(dim)
            if not i:
                res = res.narrow(dim, 0, 0)
            dim += 1
        elif isinstance(i, slice):
            if i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            if not (i.start is None and i.stop is None and i.step in (None, 1)):
                res = res.slice(dim, i.start, i.stop, 1 if i.step is None else i.step)
            dim += 1
        elif isinstance(i, Tensor):
            adv.append((dim, i))
            dim += i.ndim if i._meta().dtype in ("bool", "uint8") else 1
        elif hasattr(i, "__index__"):
            n = res._meta().shape[dim]
            k = i.__index__()
            if not -n <= k < n:
                raise IndexError("index %d is out of bounds for dimension %d with size %d" % (k, dim, n))
            res = res.select(dim, k)
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             "Variables are valid indices (got %s)" % type(i).__name__)
    return res, adv


def _entries(adv):
    entries, pos = [], 0
    for d, x in adv:
        while pos < d:
            entries.append(None)
            pos += 1
        entries.append(x)
        pos += x.ndim if x._m.dtype in ("bool", "uint8") else 1
    return entries


def getitem(t, idx):
    res, adv = _basic(t, _normalize(t, idx))
    if not adv:
        # x[...] and x[:] are views of x: a new Tensor, as in torch.
        return res if res is not t else t.view(tuple(t.shape))
    return call("index", (res, _entries(adv)), {})


def setitem(t, idx, value):
    Tensor = _tensor_cls()
    res, adv = _basic(t, _normalize(t, idx))
    if not isinstance(value, Tensor):
        if isinstance(value, (list, tuple)) or hasattr(value, "__array__"):
            from kiln._factories import tensor
            value = tensor(value, dtype=res.dtype)
    if not adv:
        if isinstance(value, Tensor):
            res.copy_(value)
        else:
            res.fill_(value)
        return
    if not isinstance(value, Tensor):
        from kiln._factories import full
        value = full((), value, dtype=res.dtype, device=res._m.device)
    elif value._meta().dtype != res._meta().dtype:
        value = value.to(res.dtype)
    call("index_put", (res, _entries(adv), value), {}, 1)

