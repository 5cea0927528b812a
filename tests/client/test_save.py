"""kiln.save / kiln.load: safetensors files on the client's disk and under kilnd's --data_dir,
checked against an independent safetensors reader and writer written here with numpy (and
torch tensors), plus path confinement, corrupt files and a resumed training run."""

import json
import math
import os
import struct

import numpy as np
import pytest
import torch

from conftest import run_py  # noqa: F401  (conftest puts clients/python on sys.path)

# ---- an independent safetensors reader / writer (the public format, nothing from kiln) ----
_NP = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "I32": np.int32,
       "I64": np.int64, "F16": np.float16, "BF16": np.uint16, "F32": np.float32,
       "F64": np.float64}
_TORCH = {torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16",
          torch.int32: "I32", torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.float32: "F32", torch.float64: "F64"}


def st_read(path):
    """{name: torch tensor}, metadata: checks the layout as strictly as the reference reader."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    assert (8 + n) % 8 == 0, "the data section starts aligned"
    md = header.pop("__metadata__", {})
    data = buf[8 + n:]
    out, spans = {}, []
    for name, e in header.items():
        b, end = e["data_offsets"]
        spans.append((b, end))
        a = np.frombuffer(data[b:end], dtype=np.dtype(_NP[e["dtype"]]).newbyteorder("<"))
        a = a.astype(a.dtype.newbyteorder("=")).reshape(e["shape"])
        if e["dtype"] == "BF16":
            out[name] = torch.from_numpy(a.astype(np.int16)).view(torch.bfloat16)
        else:
            out[name] = torch.from_numpy(a.copy())
        assert b % np.dtype(_NP[e["dtype"]]).itemsize == 0, "each tensor starts aligned"
    at = 0
    for b, end in sorted(spans):
        assert b == at
        at = end
    assert at == len(data)
    return out, md


def st_write(path, tensors, metadata=None):
    """Writes {name: torch tensor} the way safetensors.torch.save_file lays a file out."""
    header, chunks, at = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": _TORCH[t.dtype], "shape": list(t.shape),
                        "data_offsets": [at, at + len(raw)]}
        chunks.append(raw)
        at += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


# ---- fixtures ----
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("kiln-data"))


@pytest.fixture(scope="module")
def kiln(data_dir):
    """A kilnd with a data directory, the default session for this module's tests."""
    from kiln import _runtime as rt
    from kiln._daemon import Daemon
    import kiln as k
    d = Daemon(args=["--grace_seconds=2", "--log_level=warning", "--data_dir=" + data_dir])
    prev = rt._default
    c = k.connect(d.address)
    yield k
    c.close()
    rt._default = prev
    d.stop()


def where(kind, data_dir, tmp_path, name):
    """(path for kiln.save/load, the file on disk)."""
    if kind == "remote":
        return "kiln://" + name, os.path.join(data_dir, name)
    return str(tmp_path / name), str(tmp_path / name)


def values(t):
    """A torch twin of a kiln tensor (bfloat16 exact)."""
    a = t.detach().numpy()
    tt = torch.from_numpy(np.array(a, copy=True))
    return tt.to(torch.bfloat16) if str(t.dtype) == "kiln.bfloat16" else tt


def samples(kiln):
    rng = np.random.default_rng(0)
    f = rng.standard_normal((3, 5))
    return {
        "f32": kiln.tensor(f, dtype=kiln.float32),
        "f64": kiln.tensor(f, dtype=kiln.float64),
        "f16": kiln.tensor(f, dtype=kiln.float16),
        "bf16": kiln.tensor(f, dtype=kiln.bfloat16),
        "i64": kiln.tensor([[-(2 ** 62), 1, 2]], dtype=kiln.int64),
        "i32": kiln.tensor([-(2 ** 31), 0, 2 ** 31 - 1], dtype=kiln.int32),
        "i8": kiln.tensor([-128, 0, 127], dtype=kiln.int8),
        "u8": kiln.tensor([0, 1, 255], dtype=kiln.uint8),
        "bool": kiln.tensor([True, False, True], dtype=kiln.bool),
        "scalar": kiln.tensor(3.25, dtype=kiln.float64),
        "empty": kiln.zeros(0, 4),
        "empty_i64": kiln.zeros(2, 0, dtype=kiln.int64),
        "view_t": kiln.tensor(f, dtype=kiln.float32).t(),          # non-contiguous
        "view_slice": kiln.arange(20, dtype=kiln.float32)[3:17:4],  # offset + stride
        "big": kiln.randn(600, 700),                                 # past the inline size
    }


def assert_same(got, want):
    assert set(got) == set(want)
    for k in want:
        assert got[k].dtype == want[k].dtype, k
        assert tuple(got[k].shape) == tuple(want[k].shape), k
        np.testing.assert_array_equal(got[k].numpy(), want[k].numpy(), err_msg=k)


# ---- round trips ----
@pytest.mark.parametrize("kind", ["local", "remote"])
def test_every_dtype_round_trips(kiln, kind, data_dir, tmp_path):
    sd = samples(kiln)
    path, _ = where(kind, data_dir, tmp_path, "dtypes_%s.safetensors" % kind)
    kiln.save(sd, path)
    got = kiln.load(path)
    assert_same(got, sd)
    assert got["scalar"].item() == 3.25 and got["scalar"].ndim == 0
    assert all(isinstance(v, kiln.Tensor) for v in got.values())
    assert not got["f32"].requires_grad
    (got["f32"] * 2).sum().item()  # loaded handles are ordinary tensors


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_independent_reader_reads_kiln_files(kiln, kind, data_dir, tmp_path):
    sd = samples(kiln)
    path, disk = where(kind, data_dir, tmp_path, "reader_%s.safetensors" % kind)
    kiln.save(sd, path, metadata={"note": "hi"})
    got, md = st_read(disk)
    assert md == {"format": "pt", "note": "hi"}
    assert set(got) == set(sd)
    want_types = {"f32": torch.float32, "f64": torch.float64, "f16": torch.float16,
                  "bf16": torch.bfloat16, "i64": torch.int64, "i32": torch.int32,
                  "i8": torch.int8, "u8": torch.uint8, "bool": torch.bool}
    for k, t in sd.items():
        assert got[k].dtype == want_types.get(k, got[k].dtype)
        assert torch.equal(got[k], values(t)), k
    assert not [f for f in os.listdir(os.path.dirname(disk)) if f.endswith(".tmp")
                or ".tmp-" in f], "no temp file is left behind"


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_kiln_loads_a_torch_written_file(kiln, kind, data_dir, tmp_path):
    g = torch.Generator().manual_seed(1)
    ts = {"w": torch.randn(4, 3, generator=g), "d": torch.randn(2, dtype=torch.float64),
          "h": torch.randn(5, generator=g).half(), "b": torch.randn(3, generator=g).bfloat16(),
          "i16": torch.tensor([-32768, 7, 32767], dtype=torch.int16),
          "i": torch.arange(6).reshape(2, 3), "m": torch.tensor([True, False]),
          "u": torch.tensor([200], dtype=torch.uint8), "s": torch.tensor(1.5), "e": torch.zeros(0)}
    path, disk = where(kind, data_dir, tmp_path, "torch_%s.safetensors" % kind)
    st_write(disk, ts, {"format": "pt"})
    got = kiln.load(path)
    assert list(got) == list(ts)  # header order
    for k, t in ts.items():
        if k == "i16":  # Kiln has no int16: widened, values kept
            assert got[k].dtype == kiln.int32
            t = t.int()
        assert tuple(got[k].shape) == tuple(t.shape), k
        assert torch.equal(values(got[k]), t), k
    arrays = kiln.load(path, map_location="numpy")
    assert arrays["i"].dtype == np.int64 and arrays["b"].dtype == np.float32
    np.testing.assert_array_equal(arrays["w"], ts["w"].numpy())


def test_file_objects_and_pathlike(kiln, tmp_path):
    import io
    sd = {"a": kiln.arange(4), "b": kiln.ones(2, 2)}
    buf = io.BytesIO()
    kiln.save(sd, buf)
    buf.seek(0)
    assert_same(kiln.load(buf), sd)
    kiln.save(sd, tmp_path / "p.safetensors")
    assert_same(kiln.load(tmp_path / "p.safetensors"), sd)


# ---- nested checkpoints ----
@pytest.mark.parametrize("kind", ["local", "remote"])
def test_nested_structure_round_trips(kiln, kind, data_dir, tmp_path):
    w = kiln.randn(3, 2, requires_grad=True)  # saved as its value; loads without grad
    ck = {"model": {"fc.weight": w, "fc.bias": kiln.zeros(2)},
          "optimizer": {"state": {0: {"momentum_buffer": kiln.ones(3, 2)}, 1: {}},
                        "param_groups": [{"lr": 0.1, "params": [0, 1], "nesterov": False,
                                          "betas": (0.9, 0.999), "name": None}]},
          "step": 10, "best": float("inf"), "nan": float("nan"), "tag": "run-1",
          "tied": w, "history": [1.5, (2, "x"), [], {}], ("k", 1): np.int64(3)}
    path, disk = where(kind, data_dir, tmp_path, "nested_%s.safetensors" % kind)
    kiln.save(ck, path)
    got = kiln.load(path)
    assert set(got) == set(ck)
    assert got["step"] == 10 and got["tag"] == "run-1" and got["best"] == math.inf
    assert math.isnan(got["nan"])
    assert got["history"] == [1.5, (2, "x"), [], {}] and got[("k", 1)] == 3
    assert got["optimizer"]["param_groups"] == ck["optimizer"]["param_groups"]
    assert list(got["optimizer"]["state"]) == [0, 1] and got["optimizer"]["state"][1] == {}
    assert got["tied"] is got["model"]["fc.weight"]  # one tensor reached twice stays one
    np.testing.assert_array_equal(got["model"]["fc.weight"].numpy(), w.detach().numpy())
    assert not got["tied"].requires_grad
    np.testing.assert_array_equal(got["optimizer"]["state"][0]["momentum_buffer"].numpy(),
                                  np.ones((3, 2), np.float32))
    raw, md = st_read(disk)  # still a plain safetensors file, tensors under dotted keys
    assert {"model.fc.weight", "model.fc.bias", "optimizer.state.0.momentum_buffer"} == set(raw)
    assert "kiln.structure" in md
    np_ck = kiln.load(path, map_location="numpy")
    assert isinstance(np_ck["model"]["fc.bias"], np.ndarray) and np_ck["step"] == 10


def test_unsupported_objects_fail_clearly(kiln, tmp_path):
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        kiln.save({"x": object()}, str(tmp_path / "bad.safetensors"))
    with pytest.raises(TypeError, match="map_location"):
        kiln.load(str(tmp_path / "bad.safetensors"), map_location=3.5)
    assert not os.path.exists(tmp_path / "bad.safetensors")


# ---- the data directory's guard rails ----
def test_paths_are_confined_to_the_data_dir(kiln, data_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(str(outside), os.path.join(data_dir, "link"))
    st_write(str(outside / "f.safetensors"), {"a": torch.ones(1)})
    os.symlink(str(outside / "f.safetensors"), os.path.join(data_dir, "filelink.safetensors"))
    sd = {"a": kiln.ones(2)}
    for bad in ["../escape.safetensors", "a/../../escape.safetensors", "/tmp/abs.safetensors",
                "link/f.safetensors", "filelink.safetensors"]:
        with pytest.raises(PermissionError, match="absolute|escapes|symbolic link"):
            kiln.load("kiln://" + bad)
        if bad != "filelink.safetensors":
            with pytest.raises(PermissionError, match="absolute|escapes|symbolic link"):
                kiln.save(sd, "kiln://" + bad)
    assert os.listdir(str(outside)) == ["f.safetensors"]
    assert not os.path.exists(os.path.join(os.path.dirname(data_dir), "escape.safetensors"))
    for bad in ["", "a//b", "./x"]:
        with pytest.raises(ValueError):
            kiln.save(sd, "kiln://" + bad)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        kiln.load("kiln://missing/nothing.safetensors")
    kiln.save(sd, "kiln://deep/er/ok.safetensors")  # folders are made inside the data dir
    kiln.save({"a": kiln.zeros(2)}, "kiln://deep/er/ok.safetensors")  # and replaced whole
    assert kiln.load("kiln://deep/er/ok.safetensors")["a"].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="is a folder"):
        kiln.save(sd, "kiln://deep/er")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        kiln.save(sd, str(tmp_path / "no" / "such.safetensors"))


def _corrupt_files():
    good = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    good += b" " * (-len(good) % 8)
    body = struct.pack("<Q", len(good)) + good + b"\0" * 8

    def hdr(j, data=b""):
        return struct.pack("<Q", len(j)) + j + data
    return {
        "empty": b"",
        "short": b"\x01\x02",
        "huge_header": struct.pack("<Q", 1 << 62) + b"{}",
        "truncated_header": struct.pack("<Q", 500) + b'{"a":',
        "truncated_data": body[:-3],
        "trailing_bytes": body + b"xx",
        "not_json": hdr(b"not json at all!"),
        "not_object": hdr(b"[1,2,3]"),
        "bad_dtype": hdr(b'{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}', b"\0" * 8),
        "shape_mismatch": hdr(b'{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', b"\0" * 8),
        "negative": hdr(b'{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', b"\0" * 8),
        "overlap": hdr(b'{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},'
                       b'"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}', b"\0" * 6),
        "missing_field": hdr(b'{"a":{"dtype":"F32","shape":[2]}}', b"\0" * 8),
        "bad_metadata": hdr(b'{"__metadata__":{"k":1}}'),
        "bad_utf8": hdr(b'{"\xff":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'),
        "huge_shape": hdr(b'{"a":{"dtype":"F64","shape":[4294967296,4294967296,16],'
                          b'"data_offsets":[0,0]}}'),
        "duplicate": hdr(b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                         b'"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', b"\0\0"),
        "bad_structure": hdr(b'{"__metadata__":{"kiln.structure":'
                             b'"{\\"__tensor__\\":\\"nope\\"}"}}'),
    }


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_corrupt_files_fail_the_call_not_the_daemon(kiln, kind, data_dir, tmp_path):
    for name, blob in _corrupt_files().items():
        path, disk = where(kind, data_dir, tmp_path, "corrupt_%s.safetensors" % name)
        with open(disk, "wb") as f:
            f.write(blob)
        with pytest.raises(ValueError) as e:
            kiln.load(path)
        assert "corrupt_%s" % name in str(e.value) or name == "bad_structure", str(e.value)
    assert (kiln.ones(3) * 2).sum().item() == 6.0  # the daemon still serves this session
    ok, _ = where(kind, data_dir, tmp_path, "after_corrupt.safetensors")
    kiln.save({"a": kiln.ones(2)}, ok)
    assert kiln.load(ok)["a"].tolist() == [1.0, 1.0]


def test_load_is_charged_to_the_session_budget(spawn, tmp_path):
    d = str(tmp_path / "data")
    os.makedirs(d)
    st_write(os.path.join(d, "big.safetensors"), {"w": torch.zeros(1 << 20)})  # 4 MiB
    kd = spawn("--session_memory_limit=1000000", "--data_dir=" + d, metrics=False)
    r = run_py("import kiln\nkiln.connect(%r)\n"
               "try:\n    kiln.load('kiln://big.safetensors')\n"
               "except kiln.RemoteError as e:\n    print('refused', e)\n"
               "print((kiln.ones(2) * 2).sum().item())\n" % kd.address)
    assert r.returncode == 0, r.stderr
    assert "refused" in r.stdout and "RESOURCE_EXHAUSTED" in r.stdout, r.stdout
    assert r.stdout.strip().endswith("4.0")


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_save_of_a_failed_tensor_raises(kiln, kind, data_dir, tmp_path):
    path, disk = where(kind, data_dir, tmp_path, "failed_%s.safetensors" % kind)
    bad = kiln.ones(3).index_select(0, kiln.tensor([7]))  # fails on the daemon only
    for _ in range(2):  # the op's error surfaces at the save; then the poisoned handle refuses
        with pytest.raises(kiln.RemoteError, match="index_select"):
            kiln.save({"bad": bad, "ok": kiln.ones(1)}, path)
        assert not os.path.exists(disk)
    assert kiln.ones(1).item() == 1.0


# ---- a training run resumed from a checkpoint follows the same trajectory ----
def _opt_state(opt, params):
    """The optimizer's state: opt.state_dict() when kiln.optim has it, else its momentum
    buffers by parameter index (kiln.optim on this branch has no state_dict yet)."""
    if hasattr(opt, "state_dict"):
        return opt.state_dict()
    return {"state": {i: dict(opt.state[p]) for i, p in enumerate(params) if p in opt.state}}


def _restore_opt(opt, params, sd):
    if hasattr(opt, "load_state_dict"):
        opt.load_state_dict(sd)
        return
    for i, st in sd["state"].items():
        opt.state[params[i]] = dict(st)


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_resumed_training_follows_the_same_losses(kiln, kind, data_dir, tmp_path):
    nn = kiln.nn
    rng = np.random.default_rng(3)
    batches = [(rng.standard_normal((8, 6)).astype(np.float32),
                rng.integers(0, 3, 8)) for _ in range(10)]

    def build(seed):
        kiln.manual_seed(seed)
        model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
        params = list(model.parameters())
        return model, kiln.optim.SGD(params, lr=0.1, momentum=0.9), params

    def step(model, opt, i):
        x, y = batches[i]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(kiln.tensor(x)), kiln.tensor(y))
        loss.backward()
        opt.step()
        return loss.item()

    model, opt, params = build(0)
    straight = [step(model, opt, i) for i in range(10)]

    model, opt, params = build(0)
    first = [step(model, opt, i) for i in range(5)]
    path, disk = where(kind, data_dir, tmp_path, "train_%s.safetensors" % kind)
    kiln.save({"model": model.state_dict(), "optimizer": _opt_state(opt, params), "step": 5}, path)
    del model, opt, params

    model, opt, params = build(1)  # fresh objects with other weights
    ck = kiln.load(path)
    model.load_state_dict(ck["model"])
    _restore_opt(opt, params, ck["optimizer"])
    rest = [step(model, opt, i) for i in range(ck["step"], 10)]
    assert first + rest == straight  # bit for bit
    raw, _ = st_read(disk)
    assert "model.0.weight" in raw and any(k.startswith("optimizer.state.") for k in raw)
