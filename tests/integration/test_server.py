"""test_server: the web server around the programs (lighttpd.conf,
scripts/lda-server): slow senders never hold a program, lighttpd's own
errors are JSON on /api/, stop and Ctrl-C let a run in flight finish and
leave no process of the var dir behind, the internal key is made per start.
"""

import fcntl
import os
import signal
import socket
import subprocess
import threading
import time

import harness as H
from harness import check, eq, expect_status, test

EXAMPLE = os.path.join(H.DATA, "transactions.csv")
SERVER = os.path.join(H.REPO, "scripts", "lda-server")


def example():
    with open(EXAMPLE, "rb") as f:
        return f.read()


def no_process_left(var_dir, what):
    deadline = time.time() + 5
    while H.var_dir_processes(var_dir) and time.time() < deadline:
        time.sleep(0.1)
    eq(H.var_dir_processes(var_dir), [], what + ": processes of the var dir")


def trickle(port, path, stop, key=None):
    """Send a request head promising 400 body bytes, then 1 byte per 100
    ms until stop is set; never finishes the body."""
    s = socket.create_connection(("127.0.0.1", port))
    head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            "\r\nContent-Length: 400\r\n" % path)
    if key:
        head += "X-API-Key: %s\r\n" % key
    s.sendall((head + "\r\n").encode())
    try:
        while not stop.is_set():
            s.sendall(b" ")
            stop.wait(0.1)
    except OSError:
        pass
    finally:
        s.close()


@test
def server_slow_senders_hold_no_program():
    """Finding 3: 2 x LDA_PROCS_DETECT connections trickle a body to each
    detector route (no key, then a wrong key) while normal runs are timed:
    each run < 1 s and completed (the trickled bodies are spooled by
    lighttpd; only the internal key streams)."""
    s = H.shared_server(LDA_PROCS_DETECT=2)
    data = example()
    for key in (None, "wrong-key"):
        stop = threading.Event()
        ts = [threading.Thread(target=trickle, args=(s.port, p, stop, key))
              for p in ("/api/detect/layering", "/api/detect/wash")
              for _ in range(4)]
        for t in ts:
            t.start()
        try:
            time.sleep(0.5)
            for i in range(5):
                t0 = time.time()
                r = s.orchestrate_csv(data, timeout=20)
                took = time.time() - t0
                expect_status(r, 200)
                eq(r.json()["status"], "completed", "run during trickle")
                check(took < 1.0, "key %r: run %d took %.2f s during the "
                      "trickle" % (key, i, took))
            expect_status(s.get("/api/health"), 200)
        finally:
            stop.set()
            for t in ts:
                t.join()


@test
def server_own_errors_are_json():
    """The web server's own 413, 431 and 400 (bad header bytes) are JSON
    {"error"} (no program sees them); a static 404 stays HTML."""
    s = H.shared_server(MAX_UPLOAD_BYTES=3000, MAX_EVENTS=10)
    r = s.orchestrate_csv(b"\n" * 200000, check=False)
    eq(r.status, 413, "413")
    eq(r.json(), {"error": "request body too large"}, "413 body")
    # Apache has no 431: a header past its limit is its 400 (README,
    # "Deploying"), the same JSON as any 400.
    big = (431, {"error": "request header fields too large"})
    if H.SERVER != "lighttpd":
        big = (400, {"error": "bad request"})
    for path in ("/api/health", "/"):
        r = s.request("GET", path, headers={"X-Big": "a" * 70000},
                      check=False)
        eq(r.status, big[0], path + " big header")
        check(r.header("content-type").startswith("application/json"),
              "big header content type %r" % r.header("content-type"))
        eq(r.json(), big[1], "big header body")
    c = socket.create_connection(("127.0.0.1", s.port))
    c.sendall(b"GET /api/health HTTP/1.1\r\nHost: a\r\nBad\x01: x\r\n\r\n")
    raw = b""
    while b"}" not in raw:
        got = c.recv(4096)
        if not got:
            break
        raw += got
    c.close()
    check(raw.startswith(b"HTTP/1.1 400"), "bad header: %r" % raw[:40])
    check(b"Content-Type: application/json" in raw, "400 type: %r" % raw)
    check(raw.endswith(b'{"error":"bad request"}\n') or
          raw.rstrip().endswith(b'{"error":"bad request"}'), "400 body")
    r = s.get("/nope.html", check=False)
    eq(r.status, 404, "static 404")
    check(r.header("content-type").startswith("text/html"), "static 404")


def _slow_run_env():
    # Two failed attempts with waits 1 + 2 s: the run takes about 3 s.
    return dict(LDA_FAILPOINTS="detect-wash:http500:2",
                RETRY_BACKOFF_BASE_SECONDS=1)


def _wait_in_flight(s, within=20):
    """Until a run holds run/inflight.lock (shared, from its admission to
    its answer): then stopping must let it finish. A fixed sleep was not
    enough on a loaded machine, where the run could still be on its way
    and be refused with 503 as the server was stopping."""
    path = os.path.join(s.var_dir, "run", "inflight.lock")
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            time.sleep(0.05)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        except BlockingIOError:
            return
        finally:
            os.close(fd)
        time.sleep(0.05)
    raise AssertionError("no run came in flight within %d s" % within)


def _run_in_thread(s, out):
    def go():
        try:
            out.append(s.orchestrate_csv(example(), timeout=60))
        except Exception as e:          # the assertion is in the caller
            out.append(e)
    t = threading.Thread(target=go)
    t.start()
    return t


@test
def server_stop_lets_run_finish():
    """`lda-server stop` during a run: the client gets the whole 200
    answer, new runs meanwhile are 503, nothing of the var dir is left."""
    s = H.Server(**_slow_run_env())
    s.start()
    out = []
    t = _run_in_thread(s, out)
    _wait_in_flight(s)
    t0 = time.time()
    p = subprocess.run([SERVER, "stop"], env=s.env, capture_output=True,
                       text=True, timeout=60)
    t.join(60)
    eq(p.returncode, 0, "stop exit status (%s)" % p.stderr)
    s.running = False
    check(out and not isinstance(out[0], Exception), "run: %r" % out)
    expect_status(out[0], 200)
    eq(out[0].json()["status"], "completed", "run across stop")
    check(time.time() - t0 >= 1.0, "stop did not wait for the run")
    no_process_left(s.var_dir, "stop")


@test
def server_ctrl_c_lets_run_finish():
    """Ctrl-C (SIGINT to the process group) on `lda-server run` during a
    run, three times (the orphan was intermittent): the answer arrives
    whole and no process of the var dir is left."""
    H.not_under_asan("lda-server and signals; every stop exits the programs")
    for i in range(3):
        s = H.Server(**_slow_run_env())
        s.port = H.free_port()
        s.url = "http://127.0.0.1:%d" % s.port
        proc = subprocess.Popen([SERVER, "run"], env=s.env, cwd=s.root,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    if s.get("/api/health", check=False).status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.2)
            out = []
            t = _run_in_thread(s, out)
            _wait_in_flight(s)
            os.killpg(proc.pid, signal.SIGINT)
            t.join(60)
            rc = proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
        eq(rc, 0, "try %d: run exit status" % i)
        check(out and not isinstance(out[0], Exception),
              "try %d: run %r" % (i, out))
        expect_status(out[0], 200)
        eq(out[0].json()["status"], "completed", "try %d: run" % i)
        no_process_left(s.var_dir, "try %d" % i)


@test
def server_internal_key_per_start():
    """Unset INTERNAL_API_KEY: a new key per start (file 0600, never in
    the log); set: the file holds that key."""
    H.not_under_asan("the key file is lda-server's")
    with H.Server() as s:
        k1 = s.internal_key
        s.restart()
        k2 = s.internal_key
        check(k1 != k2, "the same generated key after a restart")
        eq(oct(os.stat(os.path.join(s.var_dir, "run", "internal-api-key"))
               .st_mode & 0o777), oct(0o600), "key file mode")
        with open(os.path.join(s.var_dir, "log", "error.log"), "rb") as f:
            log = f.read()
        check(k1.encode() not in log and k2.encode() not in log,
              "a key is in the log")
    with H.Server(INTERNAL_API_KEY="given-key-123") as s:
        eq(s.internal_key, "given-key-123", "given key")
        expect_status(s.orchestrate_csv(example()), 200)
