"""A private kilnd on loopback, for `import kiln` with no address: started on first use,
stopped at exit (and by the kernel if this process dies first: PR_SET_PDEATHSIG)."""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.abspath(os.path.join(_HERE, "..", "..", ".."))


def find_kilnd():
    cands = [os.environ.get("KILN_KILND", ""), os.path.join(_REPO, "bazel-bin", "server", "kilnd"),
             shutil.which("kilnd") or ""]
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise RuntimeError("kiln: no KILN_ADDRESS and no kilnd binary to start (set KILN_ADDRESS, or "
                       "KILN_KILND, or build it: bazel build //server:kilnd)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Daemon:
    """A kilnd child process. `address` is its gRPC host:port, `metrics` its /metrics URL."""

    def __init__(self, binary=None, args=(), metrics=True, timeout=60, quiet=True):
        self.binary = binary or find_kilnd()
        self.dir = tempfile.mkdtemp(prefix="kilnd-")
        port_file = os.path.join(self.dir, "port")
        self.metrics_address = "127.0.0.1:%d" % free_port() if metrics else ""
        cmd = [self.binary, "--listen=127.0.0.1:0", "--port_file=" + port_file,
               "--metrics_listen=" + self.metrics_address] + list(args)
        self.log_path = os.path.join(self.dir, "kilnd.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        deadline = time.time() + timeout
        while True:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    break
            if self.proc.poll() is not None:
                raise RuntimeError("kiln: kilnd exited with %d: %s" % (self.proc.returncode, self.log()))
            if time.time() > deadline:
                self.stop()
                raise RuntimeError("kiln: kilnd did not start within %ds: %s" % (timeout, self.log()))
            time.sleep(0.02)
        self.address = "127.0.0.1:%d" % self.port
        self.metrics = "http://%s/metrics" % self.metrics_address if metrics else None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode
