"""harness: shared machinery of the HTTP integration suite (python3 stdlib).

The suite runs the four FastCGI programs behind a real lighttpd, started
with scripts/lda-server on a free port and a fresh temporary LDA_VAR_DIR.
run.py imports every tests/integration/test_*.py module and calls main().

API (everything a test module needs):

  Registry and checks
    @test                       register fn under its name (or @test("name"))
    check(cond, what)           AssertionError(what) unless cond
    eq(got, want, what)         AssertionError "what: got X, want Y"
    main(argv)                  run the registered tests whose name contains
                                any argv word (all when none); prints
                                "ok NAME" / "FAIL NAME: why", then
                                "N passed, M failed"; returns the exit code

  Servers
    Server(**env)               one lighttpd + programs; env = extra
                                variables (API_KEY, LDA_FAILPOINTS, ...),
                                values converted with str(). Not started.
      .start() .stop() .restart()  restart keeps var dir, input dir, port
      with Server(...) as s:    start ... stop (a sanitizer report in the log
                                fails the test; the stop itself finishes in
                                the background)
      .url .port .var_dir .input_dir .env
      .request(method, path, body=None, headers=None, ctype=None,
               check=True, timeout=120) -> Response
                                keep-alive connection per thread. With
                                check=True every /api/ response must carry a
                                UUID X-Request-ID (equal to the body's
                                request_id when present) and every /api/
                                error must be {"error","request_id"} JSON
                                (pass check=False for answers lighttpd
                                itself makes). Always: every error text
                                (body of a >= 400, "error" members of JSON)
                                is checked for leaks (leaks_in).
      .get(path, **kw)  .post(path, body, ctype, **kw)
      .post_json(path, obj, **kw)   obj serialised with json.dumps
      .internal_key             the server's INTERNAL_API_KEY
      .aggregate(body, ctype="application/json", headers=None, **kw)
                                POST /api/aggregate with the internal key
      .orchestrate_csv(data, **kw)  .orchestrate_multipart(data, **kw)
      .orchestrate_file(name, **kw) (write the file with .put_input first)
      .put_input(name, data)    write a file into the server's input dir
      .download(rid)            {"suspicious_accounts.csv": bytes, ...}
                                via GET /api/runs/<rid>/<file> (asserts 200)
      .run_dir(rid)             $LDA_VAR_DIR/runs/<rid>
      .logs(msg=None, request_id=None, service=None)
                                JSON lines of log/error.log (dicts) matching
    shared_server(**env)        a Server started once per distinct env for the
                                whole run (stopped by main()); use it when
                                tests only need a server with that config
    Response: .status .headers (lower-case names) .body (bytes) .json()
              .header(name) .text
    expect_status(resp, *codes) expect_error(resp, status, *words)
                                status (one of codes); error JSON with each
                                word in the error text (case-insensitive)
    leaks_in(text, extra_paths) forbidden things in an error text: paths,
                                source file names, raw library messages

  Data and reference runs
    REPO, DATA                  repo root, tests/integration/data
    LDA                         $LDA_TEST_LDA or <repo>/build/lda
    run_lda(path_or_bytes, **env) -> LdaRun(rc, files, run, stderr)
                                build/lda on the input; files = the two
                                reports (bytes); run = parsed run.json
    REPORTS                     ("suspicious_accounts.csv", "detections.csv")
    OUTPUTS                     REPORTS + ("alerts.json",)
    gen_input(seed, noise=300, ...) -> GenInput(data, events, rejected)
                                deterministic input with layering and wash
                                episodes, rejected rows, quoted fields,
                                varied timestamp/number forms
    Event                       one valid event (text as written + values)
    parse_events(data)          Events of a file whose rows are all valid
    fingerprint(events)         README canonical form, sorted, sha256 hex
    events_json(events, rid, fp=None) / events_csv(events)
                                detector request bodies (SPEC 5.2 / internal)
    multipart(fields)           (body, content_type) for [(name, filename,
                                ctype, bytes)]
    new_uuid()                  uuid4 text
    free_port(), clean_env(extra)  a free 127.0.0.1 port; os.environ
                                without product settings, plus extra
    parse_ts(text)              SPEC 4 / 2 timestamp -> float seconds (UTC)

Environment: LDA_TEST_CGI_DIR (the .fcgi directory, default <repo>/cgi-bin),
LDA_TEST_LDA (the reference runner), LDA_TEST_KEEP=1 keeps temp dirs,
LDA_TEST_VERBOSE=1 prints timings, LDA_TEST_JOBS=N runs the tests on N worker
processes (run.py --jobs N).
"""

import calendar
import collections
import datetime
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(HERE, "data")
LDA = os.path.abspath(os.environ.get("LDA_TEST_LDA") or
                      os.path.join(REPO, "build", "lda"))
CGI_DIR = os.path.abspath(os.environ.get("LDA_TEST_CGI_DIR") or
                          os.path.join(REPO, "cgi-bin"))
LDA_SERVER = os.path.join(REPO, "scripts", "lda-server")
REPORTS = ("suspicious_accounts.csv", "detections.csv")
# every output file of a completed run before run.json (alerts.json too)
OUTPUTS = REPORTS + ("alerts.json",)
KEEP = os.environ.get("LDA_TEST_KEEP") == "1"
# The web server every test server runs on (scripts/lda-server LDA_SERVER):
# lighttpd (default), apache (mod_fcgid) or apache-cgi (plain CGI).
SERVER = os.environ.get("LDA_TEST_SERVER") or "lighttpd"
VERBOSE = os.environ.get("LDA_TEST_VERBOSE") == "1"

# Variables of the caller's shell that must not leak into a test server.
_CLEAN_PREFIXES = ("LDA_", "LAYERING_", "WASH_", "CIRCUIT_")
_CLEAN_NAMES = {
    "API_KEY", "INTERNAL_API_KEY", "MAX_UPLOAD_BYTES", "MAX_EVENTS",
    "RATE_LIMIT_PER_MINUTE", "MAX_RETRIES", "RETRY_BACKOFF_BASE_SECONDS",
    "ALGORITHM_TIMEOUT_SECONDS", "ALLOW_PARTIAL_RESULTS", "CACHE_TTL_SECONDS",
    "PSEUDONYMIZE_LOGS", "PSEUDONYMIZATION_SALT", "METRICS_API_KEY",
    "MAX_JSON_BODY_BYTES", "RUN_RETENTION_DAYS"}

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def clean_env(extra=None):
    """os.environ without product settings, plus extra (str()'d)."""
    env = {k: v for k, v in os.environ.items()
           if k not in _CLEAN_NAMES and not k.startswith(_CLEAN_PREFIXES)}
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def var_dir_processes(var_dir, below=False):
    """pids of every process whose LDA_VAR_DIR is var_dir (or, with below,
    any directory whose name starts with var_dir)."""
    want = ("LDA_VAR_DIR=" + var_dir).encode()
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if any(v.startswith(want) if below else v == want for v in env):
            out.append(int(pid))
    return out


def new_uuid():
    return str(uuid.uuid4())


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ checks

def check(cond, what):
    if not cond:
        raise AssertionError(what)


def _short(v, n=300):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %s, want %s"
                             % (what, _short(got), _short(want)))


# Library names (any case) and raw library / system messages (strerror,
# curl_easy_strerror, jansson; exact text) that must never reach a client.
_LEAK_NAMES = ("jansson", "curl", "errno", "fcgi", "strerror", "sanitizer",
               "traceback", "segmentation", "openssl")
_LEAK_PHRASES = ("No such file", "Permission denied", "Bad file descriptor",
                 "Resource temporarily", "No space left", "Couldn't connect",
                 "Failed to connect", "Timeout was reached",
                 "Operation timed out", "expected near", "Connection refused",
                 "Is a directory", "Not a directory")
_SRC_RE = re.compile(r"[A-Za-z0-9_]\.[ch]\b")


def leaks_in(text, extra_paths=()):
    """The forbidden things found in an error text (list of words)."""
    found = []
    for p in ("/tmp", "/work", "/home", "/var/", "/usr/", "/proc/", REPO,
              *extra_paths):
        if p and p in text:
            found.append(p)
    low = text.lower()
    found.extend(w for w in _LEAK_NAMES if w in low)
    found.extend(w for w in _LEAK_PHRASES if w in text)
    m = _SRC_RE.search(text)
    if m:
        found.append("source file name %r" % text[max(0, m.start() - 20):
                                                 m.end() + 2])
    return found


def _error_texts(obj):
    """Every string under an "error" key (any depth) of a JSON value."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "error" and isinstance(v, str):
                out.append(v)
            else:
                out.extend(_error_texts(v))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(_error_texts(v))
    return out


# ---------------------------------------------------------------- responses

def lighttpd_own_error(resp):
    """True for an error lighttpd answers itself, before any program sees
    the request (README: a body over the KiB-rounded size limit, a bad or
    too large header, a path with dot segments, an unrouted path). These
    carry no X-Request-ID, but on /api/ they are JSON {"error": ...} too
    (lighttpd.conf, errors/): anything else fails the central check."""
    ct = resp.header("content-type") or ""
    if resp.status < 400 or resp.header("x-request-id") is not None:
        return False
    if not ct.startswith("application/json"):
        return not resp.path.startswith("/api/") and \
            ct.startswith("text/html")
    try:
        j = json.loads(resp.body)
    except ValueError:
        return False
    return isinstance(j, dict) and isinstance(j.get("error"), str) and \
        "request_id" not in j


class Response:
    def __init__(self, method, path, status, headers, body):
        self.method, self.path = method, path
        self.status = status
        self.headers = headers          # lower-case name -> value
        self.body = body
        self._json = None

    def header(self, name):
        return self.headers.get(name.lower())

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.body)
            except ValueError:
                raise AssertionError("%s %s -> %d: body is not JSON: %s"
                                     % (self.method, self.path[:80],
                                        self.status, _short(self.body)))
        return self._json

    def is_json(self):
        try:
            self.json()
            return True
        except AssertionError:
            return False

    def __repr__(self):
        return "<%s %s -> %d %s>" % (self.method, self.path[:80], self.status,
                                     _short(self.body, 200))


def expect_status(resp, *codes):
    check(resp.status in codes, "%s %s: status %d, want %s; body %s"
          % (resp.method, resp.path[:80], resp.status,
             "/".join(map(str, codes)), _short(resp.body)))


def expect_error(resp, status, *words):
    """Error reply: status, {"error": text, "request_id": header id}, and
    every word (case-insensitive) inside the error text."""
    expect_status(resp, *(status if isinstance(status, (tuple, list))
                          else (status,)))
    j = resp.json()
    check(isinstance(j, dict) and isinstance(j.get("error"), str)
          and j["error"], "%r: no error text" % resp)
    check("request_id" in j, "%r: error body without request_id" % resp)
    for w in words:
        check(w.lower() in j["error"].lower(),
              "%r: error %r does not mention %r" % (resp, j["error"], w))
    return j


# ------------------------------------------------------------------ servers

class ServerError(Exception):
    pass


# Problems found outside a test's own code (sanitizer reports in the log of
# a server being stopped); main() turns them into failures.
_problems = []
_shared = {}
_all_servers = []
_background = []


class Server:
    def __init__(self, **env):
        self.extra = {k: str(v) for k, v in env.items()}
        self.root = tempfile.mkdtemp(prefix="lda-it-")
        # Apache serves as www-data when started as root: it must reach
        # the var and input directories below this one.
        os.chmod(self.root, 0o755)
        self.var_dir = os.path.join(self.root, "var")
        self.input_dir = os.path.join(self.root, "input")
        os.makedirs(self.input_dir)
        self.port = None
        self.url = None
        self.running = False
        self._local = threading.local()
        self._conns = []
        self._conns_lock = threading.Lock()
        _all_servers.append(self)

    # -- life cycle
    @property
    def env(self):
        e = clean_env(self.extra)
        e.update(LDA_VAR_DIR=self.var_dir, LDA_INPUT_DIR=self.input_dir,
                 LDA_CGI_DIR=CGI_DIR, LDA_PORT=str(self.port),
                 LDA_BIND="127.0.0.1", LDA_ROOT=REPO, LDA_SERVER=SERVER)
        # A start normally takes ~1-2 s: fail a broken one quickly.
        e.setdefault("LDA_START_TIMEOUT", "10")
        return e

    def own(self, path):
        """Give path (a tree this test made) to the var dir's owner: under
        Apache started as root the programs run as www-data."""
        st = os.stat(self.var_dir)
        for d, dirs, files in os.walk(path):
            for n in [d] + [os.path.join(d, x) for x in dirs + files]:
                os.lchown(n, st.st_uid, st.st_gid)

    def _server_cmd(self, action):
        return subprocess.run([LDA_SERVER, action], env=self.env, cwd=self.root,
                              capture_output=True, text=True, timeout=60)

    def start(self):
        if self.port is None:
            self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        t0 = time.monotonic()
        p = self._server_cmd("start")
        if p.returncode != 0:
            err = [x for x in (p.stdout + p.stderr).splitlines() if x.strip()]
            raise ServerError("lda-server start failed (exit %d) with %s: %s"
                              % (p.returncode, self.extra,
                                 " | ".join(err[:2] + ["..."] + err[-4:]
                                            if len(err) > 6 else err)))
        self.running = True
        if VERBOSE:
            print("# server %s started in %.2f s (%s)"
                  % (self.url, time.monotonic() - t0, self.extra),
                  file=sys.stderr)
        return self

    def stop(self):
        self.close_connections()
        if self.running:
            p = self._server_cmd("stop")
            self.running = False
            if p.returncode != 0:
                _problems.append("lda-server stop failed: " + p.stderr.strip())
        rep = self.sanitizer_report()
        if rep:
            _problems.append("sanitizer report in the log of the server "
                             "with %s:\n%s" % (self.extra, rep))
        return rep

    def restart(self):
        self.stop()
        self.start()

    def cleanup(self):
        if self.running:
            self.stop()
        if not KEEP:
            shutil.rmtree(self.root, ignore_errors=True)
        self.cleaned = True

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc):
        # Sanitizers report (and abort) at the fault, so the log is checked
        # now; the slow stop itself runs in the background (main() joins).
        rep = self.sanitizer_report()
        if rep:
            _problems.append("sanitizer report in the log of the server "
                             "with %s:\n%s" % (self.extra, rep))
        t = threading.Thread(target=self.cleanup)
        t.start()
        _background.append(t)
        return False

    # -- logs
    @property
    def log_path(self):
        return os.path.join(self.var_dir, "log", "error.log")

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def logs(self, msg=None, request_id=None, service=None):
        """JSON log lines (dicts), filtered; service matches by substring
        ("wash" matches "detect-wash")."""
        out = []
        for line in self.log_text().splitlines():
            i = line.find("{")
            if i < 0:
                continue
            try:
                o = json.loads(line[i:])
            except ValueError:
                continue
            if not isinstance(o, dict):
                continue
            if msg is not None and o.get("msg") != msg:
                continue
            if request_id is not None and o.get("request_id") != request_id:
                continue
            if service is not None and service not in str(o.get("service")):
                continue
            out.append(o)
        return out

    def sanitizer_report(self):
        text = self.log_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                       "runtime error:", "UndefinedBehaviorSanitizer"):
            i = text.find(marker)
            if i >= 0:
                return text[max(0, i - 200): i + 3000]
        return None

    # -- HTTP
    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None or getattr(self._local, "port", None) != self.port:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self._local.conn, self._local.port = c, self.port
            self._local.used = False
            with self._conns_lock:
                self._conns.append(c)
        return c

    def close_thread_connection(self):
        """Close this thread's keep-alive connection (a short-lived thread
        must call it, or its socket stays open until close_connections)."""
        c = getattr(self._local, "conn", None)
        if c is None:
            return
        c.close()
        self._local.conn = None
        with self._conns_lock:
            if c in self._conns:
                self._conns.remove(c)

    def close_connections(self):
        with self._conns_lock:
            for c in self._conns:
                try:
                    c.close()
                except OSError:
                    pass
            self._conns = []
        self._local = threading.local()

    def request(self, method, path, body=None, headers=None, ctype=None,
                check=True, timeout=120):
        check_fn = globals()["check"]
        hdrs = dict(headers or {})
        if ctype is not None:
            hdrs["Content-Type"] = ctype
        if isinstance(body, str):
            body = body.encode("utf-8")
        for attempt in (0, 1):
            c = self._conn()
            reused = self._local.used
            c.timeout = timeout
            if c.sock is not None:
                c.sock.settimeout(timeout)
            try:
                c.request(method, path, body=body, headers=hdrs)
                r = c.getresponse()
                data = r.read()
                self._local.used = True
                break
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError, http.client.CannotSendRequest,
                    http.client.ResponseNotReady):
                c.close()
                self._local.conn = None
                if attempt or not reused:
                    raise
            except BaseException:
                c.close()
                self._local.conn = None
                raise
        hl = {}
        for k, v in r.getheaders():
            k = k.lower()
            hl[k] = hl[k] + ", " + v if k in hl else v
        if r.will_close:
            c.close()
        resp = Response(method, path, r.status, hl, data)
        self._audit(resp, check_fn, check)
        return resp

    def _audit(self, resp, check_fn, check_rid):
        """Central checks on every response (see the module doc)."""
        extra = (self.var_dir, self.input_dir, self.root)
        texts = []
        if resp.status >= 400:
            texts.append(resp.body.decode("utf-8", "replace"))
        elif resp.header("content-type", ) and \
                "json" in resp.header("content-type") and \
                not resp.path.endswith("/run.json"):
            try:
                texts.extend(_error_texts(json.loads(resp.body)))
            except ValueError:
                pass
        for t in texts:
            bad = leaks_in(t, extra)
            check_fn(not bad, "%s %s -> %d: error text leaks %s: %s"
                     % (resp.method, resp.path[:80], resp.status, bad,
                        _short(t)))
        if check_rid and resp.path.startswith("/api/") \
                and not lighttpd_own_error(resp):
            if resp.status >= 400:
                try:
                    j = json.loads(resp.body)
                except ValueError:
                    j = None
                check_fn(isinstance(j, dict) and isinstance(j.get("error"), str)
                         and j["error"] and "request_id" in j,
                         "%s %s -> %d: error body is not {\"error\", "
                         "\"request_id\"}: %s" % (resp.method, resp.path[:80],
                                                  resp.status,
                                                  _short(resp.body)))
            rid = resp.header("x-request-id")
            check_fn(rid is not None and UUID_RE.match(rid),
                     "%s %s -> %d: X-Request-ID header missing or not a "
                     "UUID: %r" % (resp.method, resp.path[:80], resp.status,
                                   rid))
            ct = resp.header("content-type") or ""
            if "json" in ct and not resp.path.endswith("/run.json"):
                try:
                    j = json.loads(resp.body)
                except ValueError:
                    j = None
                if isinstance(j, dict) and isinstance(j.get("request_id"), str):
                    eq(j["request_id"].lower(), rid.lower(),
                       "%s %s: body request_id vs X-Request-ID header"
                       % (resp.method, resp.path[:80]))

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, ctype, **kw):
        return self.request("POST", path, body=body, ctype=ctype, **kw)

    def post_json(self, path, obj, **kw):
        return self.post(path, json.dumps(obj), "application/json", **kw)

    @property
    def internal_key(self):
        """INTERNAL_API_KEY of the running server: lda-server writes it to
        run/internal-api-key (generated per start when unset)."""
        with open(os.path.join(self.var_dir, "run", "internal-api-key")) as f:
            return f.read().strip()

    def aggregate(self, body, ctype="application/json", headers=None, **kw):
        """POST /api/aggregate with the internal key (the only key that
        route takes); body: bytes/str as is, anything else as JSON."""
        h = {"X-API-Key": self.internal_key}
        h.update(headers or {})
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        return self.post("/api/aggregate", body, ctype, headers=h, **kw)

    def orchestrate_csv(self, data, **kw):
        return self.post("/api/orchestrate", data, "text/csv", **kw)

    def orchestrate_multipart(self, data, filename="input.csv", extra=(),
                              **kw):
        body, ct = multipart(list(extra) +
                             [("file", filename, "text/csv", data)])
        return self.post("/api/orchestrate", body, ct, **kw)

    def orchestrate_file(self, name, **kw):
        return self.post_json("/api/orchestrate", {"input_file": name}, **kw)

    def put_input(self, name, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(os.path.join(self.input_dir, name), "wb") as f:
            f.write(data)

    def download(self, rid, names=OUTPUTS, headers=None):
        out = {}
        for n in names:
            r = self.get("/api/runs/%s/%s" % (rid, n), headers=headers)
            expect_status(r, 200)
            out[n] = r.body
        return out

    def run_dir(self, rid):
        return os.path.join(self.var_dir, "runs", rid)


def shared_server(**env):
    """The run-wide server with exactly this extra env (started lazily)."""
    key = tuple(sorted((k, str(v)) for k, v in env.items()))
    s = _shared.get(key)
    if isinstance(s, ServerError):          # failed before: fail fast
        raise ServerError("(again) " + str(s))
    if s is None or not s.running:
        s = Server(**env)
        try:
            s.start()
        except ServerError as e:
            _shared[key] = e
            s.cleanup()
            raise
        except BaseException:
            s.cleanup()
            raise
        _shared[key] = s
    return s


def multipart(fields):
    """fields: [(name, filename or None, content type or None, bytes)]."""
    boundary = "----lda-it-" + uuid.uuid4().hex
    parts = []
    for name, filename, ctype, data in fields:
        if isinstance(data, str):
            data = data.encode("utf-8")
        disp = 'form-data; name="%s"' % name
        if filename is not None:
            disp += '; filename="%s"' % filename
        h = "Content-Disposition: %s\r\n" % disp
        if ctype:
            h += "Content-Type: %s\r\n" % ctype
        parts.append(b"--" + boundary.encode() + b"\r\n" + h.encode() +
                     b"\r\n" + data + b"\r\n")
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    return body, "multipart/form-data; boundary=" + boundary


# ------------------------------------------------------ reference runner

LdaRun = collections.namedtuple("LdaRun", "rc files run stderr")
_lda_cache = {}


def run_lda(inp, **env):
    """build/lda on inp (a path or bytes). Cached per (content, env)."""
    if isinstance(inp, (bytes, bytearray)):
        data = bytes(inp)
    else:
        with open(inp, "rb") as f:
            data = f.read()
    key = (hashlib.sha256(data).hexdigest(),
           tuple(sorted((k, str(v)) for k, v in env.items())))
    if key in _lda_cache:
        return _lda_cache[key]
    with tempfile.TemporaryDirectory(prefix="lda-ref-") as d:
        path = os.path.join(d, "input.csv")
        with open(path, "wb") as f:
            f.write(data)
        out = os.path.join(d, "out")
        p = subprocess.run([LDA, path, out], env=clean_env(env),
                           capture_output=True, timeout=300)
        files = {}
        for n in OUTPUTS:
            try:
                with open(os.path.join(out, n), "rb") as f:
                    files[n] = f.read()
            except FileNotFoundError:
                pass
        try:
            with open(os.path.join(out, "run.json"), "rb") as f:
                run = json.loads(f.read())
        except (FileNotFoundError, ValueError):
            run = None
    res = LdaRun(p.returncode, files, run, p.stderr.decode("utf-8", "replace"))
    _lda_cache[key] = res
    return res


# ------------------------------------------------------------ event model

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?$")


def parse_ts_us(text):
    """SPEC 2 / SPEC 4 timestamp -> int microseconds UTC."""
    m = _TS_RE.match(text.strip())
    if not m:
        raise ValueError("bad timestamp %r" % text)
    y, mo, d, h, mi = (int(m.group(i)) for i in range(1, 6))
    s = int(m.group(6) or 0)
    frac = (m.group(7) or "")[:6].ljust(6, "0")
    sec = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    z = m.group(8)
    off = 0
    if z and z not in "Zz":
        sign = -1 if z[0] == "-" else 1
        digits = z[1:].replace(":", "")
        off = sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)
    return (sec - off) * 1000000 + int(frac)


def parse_ts(text):
    return parse_ts_us(text) / 1e6


def canon_ts(us):
    sec, frac = divmod(us, 1000000)
    return (datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=sec)
            ).strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % frac


class Event(collections.namedtuple(
        "Event", "ts account product side price quantity event_type")):
    """One valid event as written in the input (texts untrimmed of case
    etc.); ts is the timestamp text, quantity the quantity text."""

    @property
    def us(self):
        return parse_ts_us(self.ts)

    def canon(self):
        return "\t".join((self.account, self.product, canon_ts(self.us),
                          self.side.strip().upper(),
                          self.event_type.strip().upper(),
                          str(int(self.quantity.strip().lstrip("+"))),
                          self.price.strip())) + "\n"


def fingerprint(events):
    lines = sorted(e.canon().encode("utf-8") for e in events)
    return hashlib.sha256(b"".join(lines)).hexdigest()


def parse_events(data):
    """Events of an input whose data rows are all valid (no validation)."""
    import csv
    import io
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    head = [h.strip().lower() for h in rows[0]]
    idx = {n: head.index(n) for n in Event._fields_csv}
    out = []
    for r in rows[1:]:
        f = {n: r[i].strip(" \t") for n, i in idx.items()}
        out.append(Event(f["timestamp"], f["account_id"], f["product_id"],
                         f["side"], f["price"], f["quantity"],
                         f["event_type"]))
    return out


Event._fields_csv = ("timestamp", "account_id", "product_id", "side", "price",
                     "quantity", "event_type")


def events_json(events, request_id, fp=None):
    """SPEC 5.2 JSON request object."""
    return {"request_id": request_id,
            "event_fingerprint": fp or fingerprint(events),
            "events": [{"timestamp": e.ts, "account_id": e.account,
                        "product_id": e.product, "side": e.side,
                        "price": e.price,
                        "quantity": int(e.quantity.strip().lstrip("+")),
                        "event_type": e.event_type} for e in events]}


def _csv_field(s):
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def events_csv(events):
    """The events as a text/csv detector body (README, "The HTTP API")."""
    out = ["timestamp,account_id,product_id,side,price,quantity,event_type\n"]
    for e in events:
        out.append(",".join(_csv_field(x) for x in (
            canon_ts(e.us), e.account, e.product, e.side.strip().upper(),
            e.price.strip(), str(int(e.quantity.strip().lstrip("+"))),
            e.event_type.strip().upper())) + "\n")
    return "".join(out).encode("utf-8")


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _wire_text(s):
    b = s.encode("utf-8")
    return varint(len(b)) + b


def _zigzag(v):
    return v << 1 if v >= 0 else ((-v) << 1) - 1


def events_wire(events):
    """The binary internal detector body (README, "The HTTP API",
    application/x-lda-events), written from the documented format: groups
    by first appearance, each stably sorted by time; event i of the list is
    record i + 2, as in events_csv() and the JSON form."""
    groups = collections.OrderedDict()
    for i, e in enumerate(events):
        groups.setdefault((e.account, e.product), []).append((i + 2, e))
    out = bytearray(b"LDAEV2\n\0")
    out += varint(len(events)) + varint(len(groups))
    types = {t: i for i, t in enumerate(_TYPES)}
    for (acc, prod), evs in groups.items():
        evs = sorted(evs, key=lambda re: re[1].us)     # stable
        out += _wire_text(acc) + _wire_text(prod) + varint(len(evs))
        prev = None
        for rec, e in evs:
            tag = types[e.event_type.strip().upper()] | \
                (_SIDES.index(e.side.strip().upper()) << 2)
            t = _zigzag(e.us) if prev is None else e.us - prev[0]
            r = rec if prev is None else _zigzag(rec - prev[1])
            prev = (e.us, rec)
            out += bytes([tag]) + varint(t) + varint(r) + \
                varint(int(e.quantity.strip().lstrip("+"))) + \
                _wire_text(e.price.strip())
    return bytes(out)


# ------------------------------------------------------- input generator

GenInput = collections.namedtuple("GenInput", "data events rejected")

DAY0 = calendar.timegm((2025, 10, 27, 0, 0, 0, 0, 0, 0)) * 1000000
_SIDES = ("BUY", "SELL")
_TYPES = ("ORDER_PLACED", "ORDER_CANCELLED", "TRADE_EXECUTED")
# Ids that need quoting or the formula guard in the reports.
_ODD_ACCOUNTS = ("ACC,Q1", 'ACC"Q2', "=SUM(A1)", "-ACC4", "@ACC5", "+ACC6",
                 "ACC 7", "ÄCC-ü8")
_PRODUCTS = ("IBM", "BRK,B", "AAPL", 'X"Y', "MSFT", "-NEG")


def _ts_text(rng, us):
    """A timestamp text for us, in one of the equivalent SPEC 2 forms."""
    sec, frac = divmod(us, 1000000)
    utc = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=sec)
    r = rng.random()
    if r < 0.25:
        return utc.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % frac
    if r < 0.4:
        return utc.strftime("%Y-%m-%d %H:%M:%S") + ".%06d" % frac
    if r < 0.55:   # 9 digits: the last 3 are truncated
        return (utc.strftime("%Y-%m-%dT%H:%M:%S") + ".%06d%03dz"
                % (frac, rng.randrange(1000)))
    if r < 0.85:
        mins = rng.choice((120, -330, 60, 545, -600))
        loc = utc + datetime.timedelta(minutes=mins)
        sign = "+" if mins >= 0 else "-"
        hh, mm = divmod(abs(mins), 60)
        zone = rng.choice(("%s%02d:%02d", "%s%02d%02d")) % (sign, hh, mm)
        if mm == 0 and rng.random() < 0.5:
            zone = "%s%02d" % (sign, hh)
        return loc.strftime("%Y-%m-%dT%H:%M:%S") + ".%06d" % frac + zone
    # trailing zeros trimmed, e.g. .5 or none
    f = ("%06d" % frac).rstrip("0")
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + ("." + f if f else "") + "Z"


def _price_text(rng, p):
    t = "%.2f" % p
    r = rng.random()
    if r < 0.1:
        return "+" + t
    if r < 0.2:
        return "%.3fe0" % p
    if r < 0.25:
        return "%.1fe1" % (p / 10)
    return t


def _qty_text(rng, q):
    r = rng.random()
    if r < 0.1:
        return "+%d" % q
    if r < 0.2:
        return "00%d" % q
    return str(q)


def _case(rng, s):
    r = rng.random()
    return s.lower() if r < 0.15 else (s.title() if r < 0.25 else s)


def gen_input(seed, noise=300, layering=4, wash=3, crlf=None, bom=None,
              rejects=True):
    """A deterministic input (bytes) plus its valid events and the
    (record number, field) of each rejected record. It has layering and
    wash episodes (some on odd ids), noise, quoted and multi-line fields in
    an extra column, shuffled column order, and varied value forms."""
    rng = random.Random(seed)
    crlf = (seed % 2 == 1) if crlf is None else crlf
    bom = (seed % 3 == 0) if bom is None else bom
    nl = "\r\n" if crlf else "\n"
    rows = []          # (us, account, product, side, price, qty, type)
    accs = ["ACC%03d" % i for i in range(1, 25)] + list(_ODD_ACCOUNTS)
    t_open = DAY0 + 9 * 3600 * 1000000 + 30 * 60 * 1000000
    span = int(6.5 * 3600 * 1000000)

    def base_price(prod):
        return 20.0 + (sum(map(ord, prod)) % 300)

    for k in range(layering):
        acc = _ODD_ACCOUNTS[(seed + k) % len(_ODD_ACCOUNTS)] if k % 2 else \
            rng.choice(accs)
        prod = rng.choice(_PRODUCTS)
        side = rng.randrange(2)
        t = t_open + rng.randrange(span - 120 * 1000000)
        n = 3 + rng.randrange(3)
        orders = []
        for _ in range(n):
            orders.append(t)
            t += rng.randrange(200000, 2400000)
        qtys = [100 * rng.randrange(10, 90) for _ in orders]
        bp = base_price(prod)
        for ts, q in zip(orders, qtys):
            rows.append((ts, acc, prod, side, bp * (1 + rng.random() / 100),
                         q, 0))
        cancels = sorted(orders[-1] + rng.randrange(100000, 4800000)
                         for _ in orders)
        for ts, q in zip(cancels, qtys):
            rows.append((ts, acc, prod, side, bp, q, 1))
        rows.append((cancels[-1] + rng.randrange(50000, 1900000), acc, prod,
                     1 - side, bp, 100 * rng.randrange(5, 95), 2))
    for k in range(wash):
        acc = _ODD_ACCOUNTS[(seed + k + 3) % len(_ODD_ACCOUNTS)] if k % 2 \
            else rng.choice(accs)
        prod = rng.choice(_PRODUCTS)
        m = 3 + rng.randrange(3)
        dur = rng.randrange(60, 1500) * 1000000
        t0 = t_open + rng.randrange(span - dur)
        side = rng.randrange(2)
        drift = 0.03 if k % 2 == 0 else 0.001
        bp = base_price(prod)
        for i in range(2 * m):
            rows.append((t0 + dur * i // (2 * m - 1), acc, prod, side,
                         bp * (1 + drift * i / (2 * m - 1)),
                         2000 + 100 * rng.randrange(40), 2))
            side ^= 1
    for _ in range(noise):
        r = rng.random()
        rows.append((t_open + rng.randrange(span), rng.choice(accs),
                     rng.choice(_PRODUCTS), rng.randrange(2),
                     base_price("N") * (0.99 + rng.random() * 0.02),
                     100 * rng.randrange(1, 50),
                     0 if r < 0.5 else (1 if r < 0.85 else 2)))
    # Some whole-second timestamps (short forms) and exact ties.
    rows = [(r[0] - r[0] % 1000000,) + r[1:] if rng.random() < 0.1 else r
            for r in rows]
    rng.shuffle(rows)

    cols = list(Event._fields_csv) + ["note"]
    order = cols[:]
    rng.shuffle(order)
    header = [("  " + c.upper() + " ") if rng.random() < 0.3 else c
              for c in order]

    def record(fields):
        """fields: dict column -> text (already varied); returns bytes."""
        out = []
        for c in order:
            v = fields.get(c, "")
            if isinstance(v, bytes):
                out.append(v)
                continue
            # (random quoting only of ASCII values: see test
            # input_quoted_utf8_accepted)
            if any(ch in v for ch in ',"\r\n') or (
                    v and rng.random() < 0.05 and v == v.strip()
                    and v.isascii()):
                v = '"' + v.replace('"', '""') + '"'
            elif v and rng.random() < 0.05:
                v = rng.choice((" ", "\t", "  ")) + v + " "
            out.append(v.encode("utf-8"))
        return b",".join(out) + nl.encode()

    events, rejected = [], []
    body = [(",".join(header) + nl).encode()]
    recno = 1
    notes = ("", "", "", "plain note", "comma, inside", 'quote "here"',
             "two\nlines", "three\r\nline\nnote", "ünïcödé")
    bad_rows = [
        ("side", {"side": "HOLD"}), ("price", {"price": "NaN"}),
        ("price", {"price": "-5"}), ("price", {"price": "0x1A"}),
        ("quantity", {"quantity": "0"}), ("quantity", {"quantity": "1.5"}),
        ("quantity", {"quantity": "10000000000000"}),
        ("timestamp", {"timestamp": "2025-02-29T10:00:00Z"}),
        ("timestamp", {"timestamp": "2025-10-27T24:00:00Z"}),
        ("event_type", {"event_type": "ORDER_MODIFIED"}),
        ("account_id", {"account_id": ""}),
        ("account_id", {"account_id": "AC\x01C"}),
        ("product_id", {"product_id": "P" * 300}),
        (None, "short"), (None, "utf8"),
    ] if rejects else []
    bad_at = {}
    for k, b in enumerate(bad_rows):
        bad_at.setdefault(rng.randrange(len(rows) + 1), []).append(b)
    for i in range(len(rows) + 1):
        for field, change in bad_at.get(i, ()):
            recno += 1
            good = rows[rng.randrange(len(rows))]
            f = {"timestamp": canon_ts(good[0]), "account_id": good[1],
                 "product_id": good[2], "side": _SIDES[good[3]],
                 "price": "%.2f" % good[4], "quantity": str(good[5]),
                 "event_type": _TYPES[good[6]], "note": "bad row"}
            if change == "short":
                body.append(b",".join(f[c].encode() for c in order[:4]) +
                            nl.encode())
            elif change == "utf8":
                f["account_id"] = b"ACC\xff\xfe"
                body.append(record(f))
            else:
                f.update(change)
                body.append(record(f))
            rejected.append((recno, field))
        if i < len(rows) and rng.random() < 0.02:
            body.append(nl.encode())            # blank line: not a record
        if i == len(rows):
            break
        us, acc, prod, side, price, qty, typ = rows[i]
        ev = Event(_ts_text(rng, us), acc, prod, _case(rng, _SIDES[side]),
                   _price_text(rng, price), _qty_text(rng, qty),
                   _case(rng, _TYPES[typ]))
        recno += 1
        body.append(record({"timestamp": ev.ts, "account_id": acc,
                            "product_id": prod, "side": ev.side,
                            "price": ev.price, "quantity": ev.quantity,
                            "event_type": ev.event_type,
                            "note": rng.choice(notes)}))
        events.append(ev)
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(body)
    return GenInput(data, events, rejected)


# ----------------------------------------------------------------- runner

_tests = []


def test(arg):
    """@test or @test("name"): register a test function."""
    def reg(fn, name):
        if any(n == name for n, _ in _tests):
            raise ValueError("duplicate test name " + name)
        _tests.append((name, fn))
        return fn
    if callable(arg):
        return reg(arg, arg.__name__)
    return lambda fn: reg(fn, arg)


class Skip(Exception):
    """Raised by a test that does not apply to this web server."""


# The ASan+UBSan build's programs (make test-asan).
ASAN = os.sep + "asan" + os.sep in CGI_DIR + os.sep


def not_under_asan(why):
    """Skip the running test in the ASan+UBSan run: for tests of scripts,
    configuration or timing, where the sanitizers watch no program code
    the rest of the suite does not already run (make test's time budget)."""
    if ASAN:
        raise Skip("not under ASan: " + why)


def only_on(*servers):
    """Skip the running test unless SERVER is one of servers (a test of
    one server's own behaviour, e.g. lighttpd's pre-spawned processes)."""
    if SERVER not in servers:
        raise Skip("only under %s" % " or ".join(servers))


def _why(e):
    if isinstance(e, AssertionError):
        return str(e) or "assertion failed"
    tb = traceback.extract_tb(e.__traceback__)
    where = ""
    for fr in reversed(tb):
        if os.path.basename(fr.filename).startswith(("test_", "harness")):
            where = " (%s:%d)" % (os.path.basename(fr.filename), fr.lineno)
            break
    return "%s: %s%s" % (type(e).__name__, e, where)


def stop_shared():
    for s in list(_shared.values()):
        if isinstance(s, Server):
            s.cleanup()
    _shared.clear()


SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)? \(")


def _run_workers(jobs, words):
    """The chosen tests split over `jobs` worker processes (run.py
    --worker K/N: every N-th test from the K-th), which run at once: the
    tests mostly wait on servers, so the two cores are idle most of a
    one-at-a-time run. Each worker's lines are printed whole when it ends,
    then one summary line of all. Exit 1 when a worker failed."""
    run_py = os.path.join(HERE, "run.py")
    logs = [tempfile.TemporaryFile("w+") for _ in range(jobs)]
    procs = [subprocess.Popen([sys.executable, run_py, "--worker",
                               "%d/%d" % (k, jobs)] + words,
                              stdout=logs[k], stderr=subprocess.STDOUT)
             for k in range(jobs)]
    t_all = time.monotonic()
    passed = failed = skipped = 0
    bad = False
    for k, p in enumerate(procs):
        p.wait()                            # the others keep running
        logs[k].seek(0)
        out = logs[k].read().splitlines()
        logs[k].close()
        m = SUMMARY.match(out[-1]) if out else None
        if m:
            out.pop()
            passed += int(m.group(1))
            failed += int(m.group(2))
            skipped += int(m.group(3) or 0)
        else:
            failed += 1
            out.append("FAIL worker %d/%d: no summary (exit %s)"
                       % (k, jobs, p.returncode))
        bad = bad or p.returncode != 0
        if out:
            print("\n".join(out), flush=True)
    print("%d passed, %d failed%s (%.1f s, %s, %d workers)"
          % (passed, failed, ", %d skipped" % skipped if skipped else "",
             time.monotonic() - t_all, SERVER, jobs))
    return 1 if failed or bad or passed + skipped == 0 else 0


def main(argv):
    """run.py [--jobs N] [WORD...]: the tests whose name holds a WORD (all
    when none), on N workers (LDA_TEST_JOBS, default 1: one process)."""
    words, worker = [], None
    jobs = int(os.environ.get("LDA_TEST_JOBS") or 1)
    args = iter(argv)
    for a in args:
        if a == "--jobs":
            jobs = int(next(args))
        elif a == "--worker":
            worker = tuple(int(x) for x in next(args).split("/"))
        elif not a.startswith("-"):
            words.append(a)
    if worker is None and jobs > 1:
        return _run_workers(jobs, words)
    chosen = [(n, f) for n, f in _tests
              if not words or any(w in n for w in words)]
    if worker is not None:
        chosen = chosen[worker[0]::worker[1]]
    passed = failed = skipped = 0
    t_all = time.monotonic()
    try:
        for name, fn in chosen:
            t0 = time.monotonic()
            del _problems[:]
            try:
                fn()
                if _problems:
                    raise AssertionError("; ".join(_problems))
                print("ok %s%s" % (name, "  (%.1f s)" % (time.monotonic() - t0)
                                   if VERBOSE else ""), flush=True)
                passed += 1
            except KeyboardInterrupt:
                raise
            except Skip as e:
                print("skip %s: %s" % (name, e), flush=True)
                skipped += 1
            except BaseException as e:        # noqa: B902 - report and go on
                print("FAIL %s: %s" % (name, _why(e).replace("\n", "\n    ")),
                      flush=True)
                failed += 1
    finally:
        del _problems[:]
        stop_shared()
        for t in _background:
            t.join()
        for s in _all_servers:
            if not getattr(s, "cleaned", False):
                s.cleanup()
        for p in _problems:
            print("FAIL server: %s" % p.replace("\n", "\n    "), flush=True)
            failed += 1
    print("%d passed, %d failed%s (%.1f s, %s)"
          % (passed, failed, ", %d skipped" % skipped if skipped else "",
             time.monotonic() - t_all, SERVER))
    return 1 if failed or not (chosen or worker) else 0
