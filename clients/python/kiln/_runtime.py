"""Process-wide state: the default session, grad mode, default dtype, the seed.

The daemon keeps grad mode and the default dtype per session; the client keeps the user's
current setting here and each session catches up (one GRAD_MODE / SET_DEFAULT_DTYPE command)
before its next op, so `with kiln.no_grad():` costs nothing when no op runs inside it."""

import atexit
import os
import threading

import numpy as np

from kiln import _rules
from kiln import _wire as wire
from kiln._client import Client

_lock = threading.RLock()
_default = None
_clients = []
grad_enabled = True
seed = None
rng = np.random.default_rng()


def mode():
    return (grad_enabled, _rules.default_dtype[0])


def catch_up(c):
    """Sends the session the grad mode / default dtype it has not seen yet."""
    g, d = grad_enabled, _rules.default_dtype[0]
    if c.grad_enabled != g:
        wire.grad_mode(c.buf, g)
        c.grad_enabled = g
    if c.default_dtype != d:
        wire.set_default_dtype(c.buf, d)
        c.default_dtype = d
    c.mode = (g, d)


def _register(c):
    c.default_dtype = "float32"
    c.mode = (True, "float32")
    if seed is not None:
        wire.manual_seed(c.buf, seed)
    _clients.append(c)
    return c


def connect(address=None, token=None, root_certificates=None, tls=None, timeout=30.0,
            set_default=True):
    """Opens a session with the kilnd at `address` ("host:port"). With no address: KILN_ADDRESS,
    else a private kilnd started on loopback (stopped at exit). Returns the Client; with
    set_default (the default) later kiln calls use it."""
    global _default
    daemon = None
    if address is None:
        address = os.environ.get("KILN_ADDRESS")
        if token is None:
            token = os.environ.get("KILN_TOKEN")
        if root_certificates is None and os.environ.get("KILN_TLS_CA"):
            with open(os.environ["KILN_TLS_CA"], "rb") as f:
                root_certificates = f.read()
    if not address:
        from kiln._daemon import Daemon
        daemon = Daemon()
        address = daemon.address
    try:
        c = _register(Client(address, token=token, root_certificates=root_certificates, tls=tls,
                             timeout=timeout, daemon=daemon))
    except Exception:
        if daemon is not None:
            daemon.stop()
        raise
    if set_default:
        with _lock:
            _default = c
    return c


def client():
    c = _default
    if c is None or c.closed:
        with _lock:
            if _default is None or _default.closed:
                connect()
            c = _default
    return c


def current():
    """The default session if one is open (None otherwise): nothing is started."""
    return _default if _default is not None and not _default.closed else None


def clients():
    return [c for c in _clients if not c.closed]


@atexit.register
def _close_all():
    for c in list(_clients):
        try:
            c.close()
        except Exception:  # noqa: BLE001
            pass
