"""benchlib: what the bench scripts share -- the repository root, the
lda-server script, a free loopback port, and scripts/bench-services.py as a
module (its file name has a dash, so it is loaded by path). The scripts run
as `python3 scripts/<name>.py`, which puts scripts/ on sys.path."""
import importlib.util
import os
import socket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "scripts", "lda-server")


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _load_bench_services():
    spec = importlib.util.spec_from_file_location(
        "bench_services", os.path.join(ROOT, "scripts", "bench-services.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bench_services = _load_bench_services()
