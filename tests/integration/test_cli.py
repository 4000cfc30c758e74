"""test_cli: scripts/lda-detect's choice of server. LDA_URL wins, else
LDA_PORT names a running server on 127.0.0.1 (either way the run lands in
that server's var dir, runs/<id>/); a named server that does not answer
fails the command instead of a silent private server; with neither set
(and nothing on 8080) a private server is started, one stderr line says so
and that its run record is not kept, and nothing of it stays behind.
"""

import os
import re
import subprocess
import tempfile
import time
import urllib.request

import harness as H
from harness import check, eq, test

DETECT = os.path.join(H.REPO, "scripts", "lda-detect")
EXAMPLE = os.path.join(H.DATA, "transactions.csv")
PRIVATE_NOTE = re.compile(r"^lda-detect: no server at \S+: started a private "
                          r"server on port \d+; its run record is not kept")


def detect(d, **env):
    """Run lda-detect on the example into d/out and d/logs, with a clean
    environment plus env (None removes a variable) and TMPDIR=d/tmp (where
    a private server's var dir would go)."""
    tmp = os.path.join(d, "tmp")
    os.makedirs(tmp, exist_ok=True)
    e = H.clean_env(dict(env, TMPDIR=tmp))
    e.setdefault("LDA_CGI_DIR", H.CGI_DIR)
    return subprocess.run([DETECT, EXAMPLE, os.path.join(d, "out"),
                           os.path.join(d, "logs")], env=e, cwd=d,
                          capture_output=True, text=True, timeout=180)


def run_id(p):
    """The run id of lda-detect's success line on stdout."""
    m = re.search(r"^lda-detect: run ([0-9a-f-]{36}): ", p.stdout, re.M)
    check(m, "no run id in stdout %r (stderr %r)" % (p.stdout, p.stderr))
    return m.group(1)


def reports(d):
    out = {}
    for sub, name in (("out", H.REPORTS[0]), ("logs", H.REPORTS[1])):
        with open(os.path.join(d, sub, name), "rb") as f:
            out[name] = f.read()
    return out


def expect_used(s, p, d, what):
    """lda-detect succeeded through s: its run is in s's runs/, the reports
    it wrote are the ones s serves, and no private server was mentioned."""
    eq(p.returncode, 0, what + ": exit status (stderr %r)" % p.stderr)
    rid = run_id(p)
    check(os.path.isdir(s.run_dir(rid)),
          "%s: run %s not in %s" % (what, rid, s.run_dir("")))
    eq(reports(d), s.download(rid, H.REPORTS), what + ": reports")
    check("private" not in p.stderr, what + ": stderr %r" % p.stderr)
    eq(os.listdir(os.path.join(d, "tmp")), [], what + ": temporary files")


def answers_8080():
    try:
        with urllib.request.urlopen("http://127.0.0.1:8080/api/health",
                                    timeout=2):
            return True
    except Exception:                   # noqa: B902 - any failure: nothing
        return False


@test
def cli_detect_uses_lda_port():
    """LDA_PORT alone: the running server on that port takes the run."""
    s = H.shared_server()
    with tempfile.TemporaryDirectory() as d:
        p = detect(d, LDA_PORT=s.port)
        expect_used(s, p, d, "LDA_PORT")


@test
def cli_detect_uses_lda_url():
    """LDA_URL (trailing slash) wins over an LDA_PORT nothing listens on."""
    s = H.shared_server()
    with tempfile.TemporaryDirectory() as d:
        p = detect(d, LDA_URL=s.url + "/", LDA_PORT=H.free_port())
        expect_used(s, p, d, "LDA_URL")


@test
def cli_detect_named_server_down_fails():
    """A server named by LDA_PORT or LDA_URL that does not answer: exit 1
    with one line naming it, no private server, no report; a LDA_PORT that
    is not a port number: exit 2."""
    port = H.free_port()
    for var, val in (("LDA_PORT", str(port)),
                     ("LDA_URL", "http://127.0.0.1:%d" % port)):
        with tempfile.TemporaryDirectory() as d:
            p = detect(d, **{var: val})
            eq(p.returncode, 1, var + ": exit status")
            lines = p.stderr.splitlines()
            eq(len(lines), 1, var + ": stderr lines %r" % p.stderr)
            check(":%d" % port in lines[0] and var in lines[0],
                  var + ": reason %r" % lines[0])
            check("started a private" not in p.stderr,
                  var + ": stderr %r" % p.stderr)
            eq(os.listdir(os.path.join(d, "tmp")), [], var + ": tmp")
            check(not os.path.exists(os.path.join(d, "out")),
                  var + ": output dir made")
    with tempfile.TemporaryDirectory() as d:
        p = detect(d, LDA_PORT="80a")
        eq(p.returncode, 2, "LDA_PORT=80a: exit status")
        check("LDA_PORT" in p.stderr, "LDA_PORT=80a: %r" % p.stderr)


@test
def cli_detect_private_server_said():
    """Neither LDA_URL nor LDA_PORT: a private server runs the input (the
    reports equal build/lda's), one stderr line says a private server was
    started and its run record is not kept, and its var dir and processes
    are gone afterwards. (Not checkable while a server answers on 8080.)"""
    if answers_8080():
        print("# cli_detect_private_server_said: a server answers on "
              "127.0.0.1:8080; private server not testable")
        return
    with tempfile.TemporaryDirectory() as d:
        p = detect(d)
        eq(p.returncode, 0, "exit status (stderr %r)" % p.stderr)
        run_id(p)
        notes = [x for x in p.stderr.splitlines() if PRIVATE_NOTE.match(x)]
        eq(len(notes), 1, "private server notes in stderr %r" % p.stderr)
        eq(p.stderr.splitlines(), notes, "other stderr lines")
        eq(reports(d), {n: H.run_lda(EXAMPLE).files[n] for n in H.REPORTS},
           "reports")
        tmp = os.path.join(d, "tmp")
        eq(os.listdir(tmp), [], "the private server's files")
        deadline = time.monotonic() + 5
        while H.var_dir_processes(tmp, below=True) and time.monotonic() < deadline:
            time.sleep(0.1)
        eq(H.var_dir_processes(tmp, below=True), [], "the private server's processes")
