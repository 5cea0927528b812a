"""Sessions against real kilnds: async errors, isolation, connection loss, auth, TLS, metrics,
a SIGKILL'd client's memory, SIGTERM drain."""

import inspect
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT, metric, run_py, scrape
from kiln import _runtime
from kiln._client import RemoteError
from kiln._ops import Meta
from kiln._tensor import Tensor, from_array


def _line():
    return inspect.currentframe().f_back.f_lineno


def test_async_error_names_the_callers_line(kiln):
    x = kiln.zeros(3)
    bad = x.index_select(0, kiln.tensor([7])); line = _line()  # noqa: E702  (the daemon's error)
    z = x + 1  # not raised here: ops are only sent, nothing waits
    assert z.shape == (3,)
    with pytest.raises(kiln.RemoteError) as e:
        z.tolist()
    assert e.value.callsite == "test_session.py:%d" % line, str(e.value)
    assert "index_select" in str(e.value) and "test_session.py:%d" % line in str(e.value)
    with pytest.raises(kiln.RemoteError) as e2:  # the poisoned output carries the same error
        (bad * 2).tolist()
    assert e2.value.callsite == "test_session.py:%d" % line
    assert (x + 2).tolist() == [2.0, 2.0, 2.0]  # the session goes on


def test_two_sessions_are_isolated(kilnd):
    a = _runtime.connect(kilnd.address, set_default=False)
    b = _runtime.connect(kilnd.address, set_default=False)
    try:
        assert a.session_id != b.session_id
        ta = from_array(np.array([1.0, 2.0, 3.0], np.float32), c=a)
        tb = from_array(np.array([9.0], np.float32), c=b)
        assert ta._h == tb._h  # both sessions named their first tensor 1 ...
        assert ta.tolist() == [1.0, 2.0, 3.0] and tb.tolist() == [9.0]  # ... and see their own
        spy = Tensor(b, ta._h + 100, Meta((3,), "float32", "cpu"))  # a handle b never made
        with pytest.raises(RemoteError, match="handle"):
            spy.tolist()
    finally:
        a.close()
        b.close()


def test_connection_loss_is_an_error_not_a_hang(spawn):
    d = spawn()
    c = _runtime.connect(d.address, set_default=False)
    t = from_array(np.ones(4, np.float32), c=c)
    assert t.tolist() == [1.0] * 4
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    t0 = time.time()
    with pytest.raises(ConnectionError):
        (t + 1).tolist()
    assert time.time() - t0 < 15
    c.close()


def test_hung_daemon_is_noticed_within_the_keepalive_deadline(spawn):
    d = spawn()
    c = _runtime.connect(d.address, set_default=False)
    t = from_array(np.ones(4, np.float32), c=c)
    t.tolist()
    d.proc.send_signal(signal.SIGSTOP)
    try:
        t0 = time.time()
        with pytest.raises(ConnectionError):
            (t + 1).tolist()
        assert time.time() - t0 < 60  # keepalive: a ping every 10 s, 20 s to answer
    finally:
        d.proc.send_signal(signal.SIGCONT)
    c.close()


def test_token_refusals(spawn, tmp_path):
    tok = tmp_path / "token"
    tok.write_text("s3cret\n")
    d = spawn("--auth_token_file=%s" % tok)
    with pytest.raises(ConnectionError, match="UNAUTHENTICATED.*needs a bearer token"):
        _runtime.connect(d.address, set_default=False, timeout=10)
    with pytest.raises(ConnectionError, match="UNAUTHENTICATED.*refused"):
        _runtime.connect(d.address, token="wrong", set_default=False, timeout=10)
    c = _runtime.connect(d.address, token="s3cret", set_default=False)
    assert from_array(np.arange(3), c=c).tolist() == [0, 1, 2]
    c.close()


def test_tls_refusals(spawn, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    d = spawn("--tls_cert=%s" % cert, "--tls_key=%s" % key)
    with pytest.raises(ConnectionError):  # plaintext to a TLS port
        _runtime.connect(d.address, set_default=False, timeout=5)
    with pytest.raises(ConnectionError):  # TLS, but the system CAs do not know this cert
        _runtime.connect(d.address, tls=True, set_default=False, timeout=5)
    c = _runtime.connect(d.address, root_certificates=cert.read_bytes(), set_default=False)
    assert from_array(np.arange(3), c=c).tolist() == [0, 1, 2]
    c.close()


def test_metrics_scrape_repeatedly(kiln, kilnd):
    for _ in range(20):
        text = scrape(kilnd.metrics)
        assert metric(text, "kiln_sessions_active") >= 1
    (kiln.ones(3) * 2).tolist()
    text = scrape(kilnd.metrics)
    assert metric(text, "kiln_ops_total", {"op": "mul"}) >= 1
    assert metric(text, "kiln_rpcs_total", {"method": "Connect", "code": "OK"}) >= 1
    assert kilnd.proc.poll() is None


_HOLDER = """
import sys, time, kiln
kiln.connect(sys.argv[1] if len(sys.argv) > 1 else None)
x = kiln.zeros(16 << 20)          # 64 MiB held by this session
x.sum().item()
print("ready", flush=True)
time.sleep(600)
"""


def test_sigkilled_client_is_freed_within_the_grace_window(spawn):
    d = spawn("--grace_seconds=2")
    base = metric(scrape(d.metrics), "kiln_live_bytes", {"device": "cpu"})
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "clients", "python"), KILN_ADDRESS=d.address)
    p = subprocess.Popen([sys.executable, "-c", _HOLDER], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        held = metric(scrape(d.metrics), "kiln_live_bytes", {"device": "cpu"})
        assert held - base >= 64 << 20
        assert metric(scrape(d.metrics), "kiln_sessions_active") == 1
        p.send_signal(signal.SIGKILL)
        p.wait()
        t0 = time.time()
        while time.time() - t0 < 2 + 10:
            text = scrape(d.metrics)
            if metric(text, "kiln_live_bytes", {"device": "cpu"}) <= base and \
                    metric(text, "kiln_sessions_active") == 0:
                break
            time.sleep(0.2)
        else:
            pytest.fail("session not freed: %s" % text)
        assert metric(text, "kiln_sessions_expired_total") == 1
    finally:
        if p.poll() is None:
            p.kill()


def test_sigterm_drains_and_stops(spawn):
    d = spawn()
    code = ("import kiln, sys\nkiln.connect(sys.argv[1])\nx = kiln.ones(1000)\n"
            "for _ in range(200): x = x + 1\nprint(x.sum().item(), flush=True)\n")
    r = subprocess.run([sys.executable, "-c", code, d.address], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "clients", "python")),
                       timeout=60)
    assert r.stdout.strip() == "201000.0", r.stderr
    c = _runtime.connect(d.address, set_default=False)
    t = from_array(np.ones(8, np.float32), c=c)
    t.tolist()
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(timeout=15) == 0
    assert "draining" in d.log() and "stopped" in d.log()
    with pytest.raises(ConnectionError):
        (t + 1).tolist()
    c.close()


def test_private_daemon_when_no_address():
    r = run_py("import kiln\nprint(kiln.ones(2).add(1).tolist())\n"
               "print(kiln.session().daemon is not None)\n",
               env={"KILN_ADDRESS": ""}, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["[2.0,", "2.0]", "True"]
