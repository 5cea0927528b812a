"""The protobuf messages of proto/kiln/v1/kiln.proto and a hand-written gRPC stub.

Debian ships grpcio and protobuf but not grpc_tools, so nothing generated is committed: the
messages are compiled with `protoc --python_out` on first use into a cache folder keyed by the
proto's hash, and the stub is grpc's generic multi-callables (five methods, one line each)."""

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile

_HERE = os.path.dirname(os.path.abspath(__file__))
_PROTO_REL = os.path.join("kiln", "v1", "kiln.proto")


def _proto_root():
    candidates = [os.environ.get("KILN_PROTO_ROOT", ""),
                  os.path.join(_HERE, "proto"),                       # an installed copy
                  os.path.join(_HERE, "..", "..", "..", "proto")]      # the source tree
    for c in candidates:
        if c and os.path.exists(os.path.join(c, _PROTO_REL)):
            return os.path.abspath(c)
    raise ImportError("kiln: cannot find %s (set KILN_PROTO_ROOT to the folder holding kiln/v1)"
                      % _PROTO_REL)


def _cache_dir(digest):
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    d = os.path.join(base, "kiln", "proto-" + digest)
    try:
        os.makedirs(d, exist_ok=True)
        return d
    except OSError:
        d = os.path.join(tempfile.gettempdir(), "kiln-proto-%d-%s" % (os.getuid(), digest))
        os.makedirs(d, exist_ok=True)
        return d


def _load():
    root = _proto_root()
    src = os.path.join(root, _PROTO_REL)
    with open(src, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    out = _cache_dir(digest)
    target = os.path.join(out, "kiln", "v1", "kiln_pb2.py")
    if not os.path.exists(target):
        # Compile into a private folder, then rename: concurrent first imports do not race.
        tmp = tempfile.mkdtemp(dir=out)
        try:
            subprocess.run(["protoc", "-I" + root, "--python_out=" + tmp, _PROTO_REL],
                           check=True, capture_output=True)
        except FileNotFoundError:
            raise ImportError("kiln: protoc is needed to compile %s (apt install protobuf-compiler)"
                              % src) from None
        except subprocess.CalledProcessError as e:
            raise ImportError("kiln: protoc failed on %s: %s" % (src, e.stderr.decode())) from None
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(os.path.join(tmp, "kiln", "v1", "kiln_pb2.py"), target)
    # A private module name: the generated code would otherwise claim the package `kiln`.
    spec = importlib.util.spec_from_file_location("kiln._kiln_v1_pb2", target)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


pb = _load()
_SERVICE = "/kiln.v1.Kiln/"


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def data_chunk(piece):
    """UploadChunk{data: piece} encoded by hand: the protobuf runtime copies a 1 MiB bytes field
    slowly (about 25 ms), which would cap transfers near 40 MB/s."""
    return b"\x12" + _varint(len(piece)) + piece


def _serialize(m):
    return m if isinstance(m, bytes) else m.SerializeToString()


def _download_chunk(b):
    """DownloadChunk: data chunks come back as ("data", memoryview) without a protobuf copy."""
    if b[:1] == b"\x12":
        n, shift, i = 0, 0, 1
        while True:
            c = b[i]
            n |= (c & 0x7F) << shift
            i += 1
            if not c & 0x80:
                break
            shift += 7
        if i + n == len(b):
            return ("data", memoryview(b)[i:])
    return pb.DownloadChunk.FromString(b)


class KilnStub:
    """The five RPCs of kiln.v1.Kiln on a grpc.Channel."""

    def __init__(self, channel):
        ser = lambda m: m.SerializeToString()  # noqa: E731
        self.Connect = channel.unary_unary(_SERVICE + "Connect", ser, pb.ConnectResponse.FromString)
        self.Execute = channel.stream_stream(_SERVICE + "Execute", ser, pb.ExecuteResponse.FromString)
        self.Upload = channel.stream_unary(_SERVICE + "Upload", _serialize, pb.UploadResponse.FromString)
        self.Download = channel.unary_stream(_SERVICE + "Download", ser, _download_chunk)
        self.Disconnect = channel.unary_unary(_SERVICE + "Disconnect", ser,
                                              pb.DisconnectResponse.FromString)
