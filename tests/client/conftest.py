"""A real kilnd per test session (loopback, ephemeral port) and helpers to start more."""

import os
import re
import subprocess
import sys
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "ops"))
os.environ.setdefault("KILN_KILND", os.path.join(ROOT, "bazel-bin", "server", "kilnd"))

from kiln._daemon import Daemon  # noqa: E402


def scrape(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def metric(text, name, labels=None):
    """Sum of the samples of `name` (whose labels include `labels`)."""
    total, found = 0.0, False
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)", line)
        if not m or m.group(1) != name:
            continue
        if labels and not all('%s="%s"' % kv in (m.group(2) or "") for kv in labels.items()):
            continue
        total += float(m.group(3))
        found = True
    return total if found else None


@pytest.fixture(scope="session")
def kilnd():
    d = Daemon(args=["--grace_seconds=2", "--log_level=warning"])
    yield d
    d.stop()


@pytest.fixture(scope="session")
def kiln(kilnd):
    import kiln as k
    k.connect(kilnd.address)
    return k


@pytest.fixture
def spawn():
    """spawn(*args) starts another kilnd (stopped after the test)."""
    started = []

    def start(*args, metrics=True):
        d = Daemon(args=list(args), metrics=metrics)
        started.append(d)
        return d
    yield start
    for d in started:
        d.stop()


def run_py(code, env=None, timeout=120):
    e = dict(os.environ)
    e["PYTHONPATH"] = os.path.join(ROOT, "clients", "python")
    e.update(env or {})
    return subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True,
                          timeout=timeout)
