"""A session with kilnd: the ordered Execute stream, batching, sync points, transfers.

Ops are appended to `buf` in the packed encoding and sent as a batch when it grows past
FLUSH_BYTES or when the caller needs an answer (a sync point). A reader thread collects the
daemon's replies; failures reported by the daemon are raised as RemoteError at the next sync
point. A dead connection is noticed by gRPC keepalive (within ~30 s; generous, because a
loaded box can delay a ping ack by seconds mid-transfer).

When the stream breaks while the daemon keeps the session (its grace window), the reader
resumes it: Connect(resume_session), then a new stream that first replays the replies the
client may have missed (metadata kiln-replay-from), then the batches the daemon had not run
(after ConnectResponse.executed_batch; the daemon skips any it already ran), so nothing runs
twice and the session's tensors are as they were. Past the window, or with the daemon gone,
whatever call is waiting raises ConnectionError; nothing waits forever.
"""

import collections
import os
import queue
import sys
import threading
import time
import zlib

import grpc
import numpy as np

from kiln import _wire as wire
from kiln._ops_table import TABLE_HASH
from kiln._proto import KilnStub, data_chunk, pb

FLUSH_BYTES = 64 << 10      # a batch is sent once this many bytes of commands are queued
MAX_INFLIGHT = 64           # batches queued for gRPC before the client waits for the daemon
CHUNK = int(os.environ.get("KILN_CHUNK_BYTES", 1 << 20))  # Upload chunk size (bench/README.md)
_MAX_MSG = 64 << 20


def _keep_freed_memory():
    """glibc returns freed blocks above 128 KiB-32 MiB to the kernel and faults fresh pages in
    for the next one; each 4 MiB transfer chunk gRPC hands us would then cost page faults (the
    largest cost of a Download on the dev VM, where the kernel zeroes and the host backs every
    fresh page). Keeping blocks up to 32 MiB in the heap reuses them. KILN_MALLOPT=0 skips it."""
    if os.environ.get("KILN_MALLOPT", "1") == "0":
        return
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)   # M_MMAP_THRESHOLD
        libc.mallopt(-1, 128 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


_keep_freed_memory()


class RemoteError(RuntimeError):
    """An op failed on the daemon. `callsite` is the Python file:line that issued it, `kind`
    the Python exception name the daemon chose (RuntimeError, IndexError, ...)."""

    def __init__(self, op, kind, message, callsite=""):
        self.op, self.kind, self.remote_message, self.callsite = op, kind, message, callsite
        where = " (issued at %s)" % callsite if callsite else ""
        super().__init__("%s: %s%s" % (kind or "Error", message, where))

    @classmethod
    def from_pb(cls, e):
        return cls(e.op, e.kind, e.message, e.callsite)


class Client:
    """One session. `address` is "host:port"; `token` the bearer token; `root_certificates`
    (PEM bytes) turns TLS on."""

    def __init__(self, address, token=None, root_certificates=None, tls=None, timeout=30.0,
                 daemon=None):
        self.address = address
        self.daemon = daemon  # a private kilnd this client owns (stopped on close)
        opts = [("grpc.max_send_message_length", _MAX_MSG),
                ("grpc.max_receive_message_length", _MAX_MSG),
                ("grpc.keepalive_time_ms", 10000), ("grpc.keepalive_timeout_ms", 20000),
                ("grpc.keepalive_permit_without_calls", 1),
                ("grpc.http2.max_pings_without_data", 0),
                ("grpc.http2.lookahead_bytes", 64 << 20),
                # a resume should find the daemon again within its grace window (not
                # grpc.min_reconnect_backoff_ms: that one is the connect timeout)
                ("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 1000)]
        if tls or root_certificates is not None:
            creds = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self.channel = grpc.secure_channel(address, creds, options=opts)
        else:
            self.channel = grpc.insecure_channel(address, options=opts)
        self.stub = KilnStub(self.channel)
        self.md = [("authorization", "Bearer " + token)] if token else []
        try:
            r = self.stub.Connect(pb.ConnectRequest(
                protocol_version=1, op_table_hash=TABLE_HASH,
                client="kiln-python/0.1 (pid %d)" % os.getpid()), metadata=self.md, timeout=timeout)
        except grpc.RpcError as e:
            self.channel.close()
            raise ConnectionError("kiln: cannot connect to kilnd at %s: %s: %s"
                                  % (address, e.code().name, e.details())) from None
        self.session_id = r.session_id
        self.grace_seconds = r.grace_seconds
        self.max_inline = r.max_inline_bytes
        self.devices = [d.name for d in r.devices]
        self.server = r.server
        self.buf = bytearray()
        self.frees = []
        self.batch = 0
        self.next_handle = 1
        self.next_request = 1
        self.callsites = {}
        self.grad_enabled = True
        self.closed = False
        self._q = queue.SimpleQueue()
        self._cv = threading.Condition()
        self._replies = {}
        self._errors = []
        self._dead = None
        self._acked = 0  # batches whose replies have all arrived (the daemon ran them)
        self._send_lock = threading.Lock()  # the queue and the unacked batches change together
        self._unacked = collections.deque()  # sent batches the daemon may not have run
        self._seen_errors = set()  # (batch, index) of OpErrors, against replayed duplicates
        self.resumes = 0
        self._responses = self.stub.Execute(iter(self._q.get, None),
                                            metadata=self.md + [("kiln-session", self.session_id)])
        self._reader = threading.Thread(target=self._read, name="kiln-reader", daemon=True)
        self._reader.start()

    # ---- handles and callsites ----
    def handle(self):
        h = self.next_handle
        self.next_handle = h + 1
        return h

    def callsite(self, depth=1):
        """The id of the user's file:line that is calling into kiln (sent once per line).
        `depth`: frames known to be kiln's own to skip without looking (the hot path's)."""
        f = sys._getframe(depth)
        while f is not None and f.f_code.co_filename.startswith(_PKG):
            f = f.f_back
        if f is None:
            return 0
        key = (f.f_code.co_filename, f.f_lineno)
        cid = self.callsites.get(key)
        if cid is None:
            cid = len(self.callsites) + 1
            self.callsites[key] = cid
            wire.callsite(self.buf, cid, "%s:%d" % (os.path.basename(key[0]), key[1]))
        return cid

    # ---- sending ----
    def flush(self):
        if self.frees:
            fr, self.frees = self.frees, []
            wire.free(self.buf, fr)
        if not self.buf:
            return
        self._check_alive()
        self._send(bytes(self.buf))
        self.buf = bytearray()
        if self.batch - self._acked > MAX_INFLIGHT:
            # Back-pressure: never run unboundedly ahead of the daemon.
            req = self.next_request
            self.next_request = req + 1
            self._send(bytes(_sync_cmd(req)))
            self.wait(req, raise_errors=False)

    def _send(self, commands):
        with self._send_lock:
            u = self._unacked
            while u and u[0].batch <= self._acked:
                u.popleft()
            self.batch += 1
            r = pb.ExecuteRequest(batch=self.batch, commands=commands)
            u.append(r)
            self._q.put(r)

    def maybe_flush(self):
        if len(self.buf) > FLUSH_BYTES:
            self.flush()

    def free(self, h):
        # Called from Tensor.__del__ (any thread, maybe during interpreter exit).
        self.frees.append(h)

    # ---- sync points ----
    def ask(self, kind, h=None):
        req = self.next_request
        self.next_request = req + 1
        wire.request(self.buf, kind, req, h)
        self.flush()
        return self.wait(req)

    def sync(self):
        self.ask(wire.SYNC)

    def wait(self, req, raise_errors=True):
        with self._cv:
            while req not in self._replies:
                if self._dead is not None:
                    raise self._dead
                self._cv.wait(1.0)
            r = self._replies.pop(req)
            if self._replies:  # requests are waited for in order: older ones are stale
                for k in [k for k in self._replies if k < req]:
                    del self._replies[k]
        # Everything sent before this request has run.
        self._acked = max(self._acked, self.batch if req == self.next_request - 1 else self._acked)
        if raise_errors:
            self.raise_pending()
        return r

    def raise_pending(self):
        if self._errors:
            with self._cv:
                errs, self._errors = self._errors, []
            e = RemoteError.from_pb(errs[0])
            if len(errs) > 1:
                e.others = [RemoteError.from_pb(x) for x in errs[1:]]
            raise e

    def _read(self):
        while True:
            responses = self._responses
            try:
                for resp in responses:
                    self._on_reply(resp)
                if not self.closed:
                    self._die(ConnectionError("kiln: kilnd at %s ended the session's stream"
                                              % self.address))
                return
            except grpc.RpcError as e:
                if self.closed:
                    return
                why = "%s: %s" % (e.code().name, e.details())
            except Exception as e:  # noqa: BLE001  (interpreter exit, ...)
                self._die(ConnectionError("kiln: the reader stopped: %r" % e))
                return
            if not self._resume(why):
                return

    def _on_reply(self, resp):
        kind = resp.WhichOneof("kind")
        with self._cv:
            if kind == "error":
                key = (resp.error.batch, resp.error.index)
                if key not in self._seen_errors:
                    self._seen_errors.add(key)
                    self._errors.append(resp.error)
                return
            msg = getattr(resp, kind)
            if kind == "sync":
                self._acked = max(self._acked, msg.executed_batch)
            self._replies[msg.request] = msg
            self._cv.notify_all()

    def _die(self, err):
        with self._cv:
            self._dead = err
            self._cv.notify_all()

    def _resume(self, why):
        """Reattaches the session after its stream broke; False (and the client dead) when the
        daemon cannot be reached within the grace window or no longer has the session."""
        deadline = time.monotonic() + max(self.grace_seconds, 1.0)
        last = why
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if self.daemon is not None and self.daemon.proc.poll() is not None:
                self._die(ConnectionError("kiln: the private kilnd exited (%s), and session %s "
                                          "with it" % (why, self.session_id)))
                return False
            try:
                r = self.stub.Connect(pb.ConnectRequest(
                    protocol_version=1, op_table_hash=TABLE_HASH, resume_session=self.session_id,
                    client="kiln-python/0.1 (pid %d)" % os.getpid()),
                    metadata=self.md, timeout=min(left, 5.0), wait_for_ready=True)
            except grpc.RpcError as e:
                code = e.code()
                if code == grpc.StatusCode.NOT_FOUND:
                    self._die(ConnectionError(
                        "kiln: session %s expired: the connection to kilnd at %s broke (%s) and "
                        "the daemon freed the session and its tensors after its %g s grace "
                        "window" % (self.session_id, self.address, why, self.grace_seconds)))
                    return False
                if code not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    self._die(ConnectionError("kiln: cannot resume session %s at %s: %s: %s"
                                              % (self.session_id, self.address, code.name,
                                                 e.details())))
                    return False
                last = "%s: %s" % (code.name, e.details())
                time.sleep(0.05)
                continue
            with self._send_lock:
                old = self._q
                self._q = queue.SimpleQueue()
                self._seen_errors = {k for k in self._seen_errors if k[0] > self._acked}
                md = self.md + [("kiln-session", self.session_id),
                                ("kiln-replay-from", str(self._acked + 1))]
                self._responses = self.stub.Execute(iter(self._q.get, None), metadata=md)
                for b in self._unacked:
                    if b.batch > r.executed_batch:
                        self._q.put(b)
                old.put(None)
            self.resumes += 1
            return True
        self._die(ConnectionError(
            "kiln: lost the connection to kilnd at %s (%s) and could not resume session %s "
            "within its %g s grace window: %s" % (self.address, why, self.session_id,
                                                  self.grace_seconds, last)))
        return False

    def _retry(self, call):
        """Runs a transfer, and again while the daemon is unreachable within the grace window."""
        deadline = None
        while True:
            try:
                return call()
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE or self.closed or self._dead:
                    raise
                if deadline is None:
                    deadline = time.monotonic() + max(self.grace_seconds, 1.0)
                elif time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _check_alive(self):
        if self._dead is not None:
            raise self._dead
        if self.closed:
            raise RuntimeError("kiln: this session is closed")

    # ---- transfers ----
    def upload(self, h, dtype, shape, data, requires_grad=False, device="cpu"):
        mv = memoryview(data).cast("B")
        n = len(mv)

        def chunks():
            yield pb.UploadChunk(header=pb.UploadHeader(
                session_id=self.session_id, handle=h, dtype=wire.DTYPE_CODE[dtype], shape=shape,
                device=device, nbytes=n, requires_grad=requires_grad))
            crc = 0
            for off in range(0, n, CHUNK):
                piece = mv[off:off + CHUNK]
                crc = zlib.crc32(piece, crc)
                yield data_chunk(piece)
            yield pb.UploadChunk(trailer=pb.TransferTrailer(crc32=crc))
        self._check_alive()
        try:
            self._retry(lambda: self.stub.Upload(chunks(), metadata=self.md))
        except grpc.RpcError as e:
            raise RemoteError("tensor", e.code().name, "Upload failed: " + (e.details() or "")) from None

    def download(self, h):
        """(dtype name, shape, uint8 numpy array): everything issued before must have run (FETCH first)."""
        try:
            return self._retry(lambda: self._download(h))
        except grpc.RpcError as e:
            raise RemoteError("fetch", e.code().name, "Download failed: " + (e.details() or "")) from None

    def _download(self, h):
        it = self.stub.Download(pb.DownloadRequest(session_id=self.session_id, handle=h),
                                metadata=self.md)
        head = next(it).header
        # numpy asks for transparent huge pages on large blocks: first touch of 4 KiB pages
        # is what bounds a download where page faults are dear (bench/README.md).
        out = np.empty(head.nbytes, np.uint8)
        mv = memoryview(out)
        off, crc = 0, 0
        for c in it:
            if isinstance(c, tuple):
                data = c[1]
                n = len(data)
                if off + n > head.nbytes:
                    raise RemoteError("fetch", "DataLoss", "Download: more bytes than announced")
                mv[off:off + n] = data
                crc = zlib.crc32(data, crc)
                off += n
            elif c.WhichOneof("part") == "trailer":
                if c.trailer.crc32 != crc or off != head.nbytes:
                    raise RemoteError("fetch", "DataLoss", "Download: size or crc32 mismatch")
            elif c.WhichOneof("part") == "data":  # an empty chunk
                pass
        return wire.DTYPES[head.dtype], tuple(head.shape), out

    # ---- closing ----
    def close(self):
        if self.closed:
            return
        try:
            if self._dead is None:
                self.flush()
        except Exception:  # noqa: BLE001
            pass
        self.closed = True
        self._q.put(None)
        self._reader.join(timeout=5)
        try:
            self.stub.Disconnect(pb.DisconnectRequest(session_id=self.session_id),
                                 metadata=self.md, timeout=5)
        except grpc.RpcError:
            pass
        self.channel.close()
        if self.daemon is not None:
            self.daemon.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _sync_cmd(req):
    b = bytearray()
    wire.request(b, wire.SYNC, req)
    return b


_PKG = os.path.dirname(os.path.abspath(__file__)) + os.sep
