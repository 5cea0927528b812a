"""A session with kilnd: the ordered Execute stream, batching, sync points, transfers.

Ops are appended to `buf` in the packed encoding and sent as a batch when it grows past
FLUSH_BYTES or when the caller needs an answer (a sync point). A reader thread collects the
daemon's replies; failures reported by the daemon are raised as RemoteError at the next sync
point. A dead connection is noticed by gRPC keepalive (within ~30 s; generous, because a
loaded box can delay a ping ack by seconds mid-transfer) and raised as
ConnectionError at whatever call is waiting; nothing waits forever."""

import os
import queue
import sys
import threading
import zlib

import grpc

from kiln import _wire as wire
from kiln._ops_table import TABLE_HASH
from kiln._proto import KilnStub, data_chunk, pb

FLUSH_BYTES = 64 << 10      # a batch is sent once this many bytes of commands are queued
MAX_INFLIGHT = 64           # batches queued for gRPC before the client waits for the daemon
CHUNK = 1 << 20             # Upload / Download chunk size
_MAX_MSG = 64 << 20


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
                ("grpc.http2.lookahead_bytes", 64 << 20)]
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
        self._acked = 0  # batches the daemon reported executed
        self._responses = self.stub.Execute(iter(self._q.get, None),
                                            metadata=self.md + [("kiln-session", self.session_id)])
        self._reader = threading.Thread(target=self._read, name="kiln-reader", daemon=True)
        self._reader.start()

    # ---- handles and callsites ----
    def handle(self):
        h = self.next_handle
        self.next_handle = h + 1
        return h

    def callsite(self):
        """The id of the user's file:line that is calling into kiln (sent once per line)."""
        f = sys._getframe(1)
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
        self.batch += 1
        self._q.put(pb.ExecuteRequest(batch=self.batch, commands=bytes(self.buf)))
        self.buf = bytearray()
        if self.batch - self._acked > MAX_INFLIGHT:
            # Back-pressure: never run unboundedly ahead of the daemon.
            req = self.next_request
            self.next_request = req + 1
            self.batch += 1
            self._q.put(pb.ExecuteRequest(batch=self.batch, commands=bytes(_sync_cmd(req))))
            self.wait(req, raise_errors=False)

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
        try:
            for resp in self._responses:
                kind = resp.WhichOneof("kind")
                with self._cv:
                    if kind == "error":
                        self._errors.append(resp.error)
                        continue
                    msg = getattr(resp, kind)
                    if kind == "sync":
                        self._acked = max(self._acked, msg.executed_batch)
                    self._replies[msg.request] = msg
                    self._cv.notify_all()
            if not self.closed:
                raise_ = ConnectionError("kiln: kilnd at %s ended the session's stream" % self.address)
                with self._cv:
                    self._dead = raise_
                    self._cv.notify_all()
        except grpc.RpcError as e:
            with self._cv:
                self._dead = ConnectionError("kiln: lost the connection to kilnd at %s: %s: %s"
                                             % (self.address, e.code().name, e.details()))
                self._cv.notify_all()
        except Exception as e:  # noqa: BLE001  (interpreter exit, ...)
            with self._cv:
                self._dead = ConnectionError("kiln: the reader stopped: %r" % e)
                self._cv.notify_all()

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
            self.stub.Upload(chunks(), metadata=self.md)
        except grpc.RpcError as e:
            raise RemoteError("tensor", e.code().name, "Upload failed: " + (e.details() or "")) from None

    def download(self, h):
        """(dtype name, shape, bytearray): everything issued before must have run (FETCH first)."""
        try:
            it = self.stub.Download(pb.DownloadRequest(session_id=self.session_id, handle=h),
                                    metadata=self.md)
            head = next(it).header
            out = bytearray(head.nbytes)
            off, crc = 0, 0
            for c in it:
                if isinstance(c, tuple):
                    data = c[1]
                    n = len(data)
                    if off + n > head.nbytes:
                        raise RemoteError("fetch", "DataLoss", "Download: more bytes than announced")
                    out[off:off + n] = data
                    crc = zlib.crc32(data, crc)
                    off += n
                elif c.WhichOneof("part") == "trailer":
                    if c.trailer.crc32 != crc or off != head.nbytes:
                        raise RemoteError("fetch", "DataLoss", "Download: size or crc32 mismatch")
                elif c.WhichOneof("part") == "data":  # an empty chunk
                    pass
        except grpc.RpcError as e:
            raise RemoteError("fetch", e.code().name, "Download failed: " + (e.details() or "")) from None
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
