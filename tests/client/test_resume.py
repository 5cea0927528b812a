"""Session resume: the connection to kilnd breaks (a TCP proxy in between is cut), the daemon
keeps the session for its grace window, and the client reattaches with its tensors intact;
past the window the waiting call raises a clear ConnectionError."""

import socket
import threading
import time

import numpy as np
import pytest

from kiln import _runtime
from kiln._client import RemoteError
from kiln._tensor import from_array


class Proxy:
    """Forwards 127.0.0.1:<port> to `target`. cut() resets every open connection;
    refuse(True) closes new ones at once (the daemon looks unreachable)."""

    def __init__(self, target):
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.address = "127.0.0.1:%d" % self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.conns = []
        self.refusing = False
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                a, _ = self.lsock.accept()
            except OSError:
                return
            if self.refusing:
                a.close()
                continue
            try:
                b = socket.create_connection(self.target)
            except OSError:
                a.close()
                continue
            with self.lock:
                self.conns += [a, b]
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()
            threading.Thread(target=self._pump, args=(b, a), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                d = src.recv(1 << 20)
                if not d:
                    break
                dst.sendall(d)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def refuse(self, flag):
        self.refusing = flag

    def stop(self):
        self.stopped = True
        self.lsock.close()
        self.cut()


@pytest.fixture
def proxied(spawn):
    proxies = []

    def start(*args):
        d = spawn(*args)
        p = Proxy(d.address)
        proxies.append(p)
        return d, p
    yield start
    for p in proxies:
        p.stop()


def test_resume_after_the_connection_is_cut(proxied):
    d, p = proxied("--grace_seconds=20")
    c = _runtime.connect(p.address, set_default=False)
    try:
        big = (np.arange(1 << 20) % 7).astype(np.float32)  # 4 MiB: travels by Upload
        x = from_array(big, c=c)
        y = from_array(np.array([1.0, 2.0, 3.0], np.float32), c=c)
        z = y * 2  # sent, not waited for
        assert (x[:3] + 0).tolist() == [0.0, 1.0, 2.0]
        w = z + 1  # queued in the client, unsent, when the link goes
        p.cut()
        assert w.tolist() == [3.0, 5.0, 7.0]  # the batch reached the daemon after the resume
        assert c.resumes >= 1
        assert np.array_equal(x.numpy(), big)  # the session's tensors survived
        for _ in range(3):  # and again, with more ops in between
            q = x.sum()
            p.cut()
            assert q.item() == float(big.sum(dtype=np.float64))
        assert c.resumes >= 2
        v = from_array(big * 2, c=c)  # uploads and downloads still work
        assert np.array_equal((v - x).numpy(), big)
    finally:
        c.close()


def test_resume_after_the_stream_is_cancelled(kilnd):
    c = _runtime.connect(kilnd.address, set_default=False)
    try:
        t = from_array(np.arange(6, dtype=np.int64), c=c)
        u = t * 3
        c._responses.cancel()  # the stream ends under the client
        time.sleep(0.2)
        assert (u + 1).tolist() == [1, 4, 7, 10, 13, 16]
        assert c.resumes == 1
    finally:
        c.close()


def test_an_error_before_the_break_is_reported_once(proxied):
    d, p = proxied("--grace_seconds=20")
    c = _runtime.connect(p.address, set_default=False)
    try:
        x = from_array(np.zeros(3, np.float32), c=c)
        x.index_select(0, from_array(np.array([7]), c=c))  # fails on the daemon
        c.flush()
        time.sleep(0.5)  # its OpError arrives before the cut, and is replayed after it
        p.cut()
        with pytest.raises(RemoteError, match="index"):
            (x + 1).tolist()
        assert (x + 2).tolist() == [2.0, 2.0, 2.0]  # reported once, not again
    finally:
        c.close()


def test_unreachable_past_the_grace_window_is_a_clear_error(proxied):
    d, p = proxied("--grace_seconds=1")
    c = _runtime.connect(p.address, set_default=False)
    try:
        t = from_array(np.ones(3, np.float32), c=c)
        assert t.tolist() == [1.0] * 3
        p.refuse(True)
        p.cut()
        t0 = time.time()
        with pytest.raises(ConnectionError, match="could not resume session .* grace window"):
            (t + 1).tolist()
        assert time.time() - t0 < 15
    finally:
        p.refuse(False)
        c.close()


def test_an_expired_session_is_a_clear_error(proxied):
    d, p = proxied("--grace_seconds=1")
    c = _runtime.connect(p.address, set_default=False)
    try:
        t = from_array(np.ones(3, np.float32), c=c)
        assert t.tolist() == [1.0] * 3
        c.grace_seconds = 30  # a client that keeps trying longer than the daemon keeps it
        p.refuse(True)
        p.cut()
        threading.Timer(3.0, p.refuse, (False,)).start()
        with pytest.raises(ConnectionError, match="session .* expired"):
            (t + 1).tolist()
    finally:
        c.close()
