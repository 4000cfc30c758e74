"""test_deploy: the ways the product is deployed besides scripts/lda-server
on lighttpd (README, "Deploying"):

- each program run directly as plain CGI (RFC 3875: the request in the
  environment and on stdin, the answer on stdout), for its health and for
  one real request;
- `make install DESTDIR=... PREFIX=...`: the installed build/lda gives the
  reference reports, the installed lda-server (no checkout behind it)
  serves a run, `make uninstall` removes it all;
- the installed snippets in existing servers: a private lighttpd whose own
  configuration includes deploy/lda.conf, a private Apache whose own
  configuration Includes deploy/lda-apache.conf;
- shared hosting: a private Apache configured only with a document root,
  AllowOverride and stock modules, the page, the installed htaccess as
  .htaccess and the programs in the document root's cgi-bin/.
Every server here is private (free port, temporary directories) and is
stopped by the test that started it."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import harness as H
from harness import check, eq, test

EXAMPLE = os.path.join(H.DATA, "transactions.csv")
PROGRAMS = ("orchestrate", "detect-layering", "detect-wash", "aggregate")
MODS = "/usr/lib/apache2/modules"


class Client:
    """Plain HTTP to a server these tests started themselves."""

    def __init__(self, url):
        self.port = int(url.rsplit(":", 1)[1])

    def request(self, method, path, body=None, ctype=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        h = dict(headers or {})
        if ctype:
            h["Content-Type"] = ctype
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return H.Response(method, path, r.status,
                              {k.lower(): v for k, v in r.getheaders()},
                              r.read())
        finally:
            c.close()


def example():
    with open(EXAMPLE, "rb") as f:
        return f.read()


def as_root():
    return os.geteuid() == 0


def cgi(program, method, path, body=b"", headers=None, env=None):
    """Run cgi-bin/<program>.fcgi as plain CGI; (status, headers, body)."""
    e = H.clean_env(env or {})
    e.update(REQUEST_METHOD=method, REQUEST_URI=path, SERVER_PROTOCOL="HTTP/1.1",
             GATEWAY_INTERFACE="CGI/1.1", CONTENT_LENGTH=str(len(body)))
    for k, v in (headers or {}).items():
        if k.lower() == "content-type":
            e["CONTENT_TYPE"] = v
        else:
            e["HTTP_" + k.upper().replace("-", "_")] = v
    p = subprocess.run([os.path.join(H.CGI_DIR, program + ".fcgi")],
                       input=body, env=e, capture_output=True, timeout=60)
    eq(p.returncode, 0, "%s exit status (%r)" % (program, p.stderr[-300:]))
    head, _, rbody = p.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    check(lines[0].startswith("Status: "), "%s: no Status line" % program)
    status = int(lines[0].split()[1])
    hdrs = dict(x.split(": ", 1) for x in lines[1:])
    eq(int(hdrs["Content-Length"]), len(rbody), program + " Content-Length")
    return status, hdrs, rbody


@test
def deploy_programs_as_cgi():
    """Each program as plain CGI: its health, then one real request each --
    a wash detection (CSV form), a download refused, and a whole run whose
    orchestrator is the CGI process and whose siblings are a server's."""
    s = H.shared_server()
    var = tempfile.mkdtemp(prefix="lda-cgi-")
    try:
        env = {"LDA_VAR_DIR": var}
        for prog, route in (("orchestrate", "/api/orchestrate"),
                            ("detect-layering", "/api/detect/layering"),
                            ("detect-wash", "/api/detect/wash"),
                            ("aggregate", "/api/aggregate")):
            st, hdrs, body = cgi(prog, "GET", route + "/health", env=env)
            eq(st, 200, prog + " health")
            eq(json.loads(body), {"status": "healthy", "service": prog},
               prog + " health body")
            check(H.UUID_RE.match(hdrs["X-Request-ID"]), prog + " id")
        rid = H.new_uuid()
        evs = [e for e in H.parse_events(example())
               if e.event_type.strip().upper() == "TRADE_EXECUTED"]
        csv = H.events_csv(evs)
        st, hdrs, body = cgi("detect-wash", "POST", "/api/detect/wash", csv,
                             {"Content-Type": "text/csv", "X-Request-ID": rid,
                              "X-Event-Fingerprint": H.fingerprint(evs)},
                             env)
        eq(st, 200, "wash as CGI")
        j = json.loads(body)
        eq((j["request_id"], j["status"], j["cached"]), (rid, "success", False),
           "wash answer")
        st, _, body = cgi("aggregate", "GET", "/api/runs/nope/run.json",
                          env=env)
        eq((st, json.loads(body)["error"]), (400, "run id must be a UUID"),
           "download as CGI")
        # A whole run: the CGI orchestrator calls the server's siblings.
        env.update(LDA_INTERNAL_URL=s.url, INTERNAL_API_KEY=s.internal_key)
        st, hdrs, body = cgi("orchestrate", "POST", "/api/orchestrate",
                             example(), {"Content-Type": "text/csv"}, env)
        eq(st, 200, "orchestrate as CGI (%r)" % body[:300])
        j = json.loads(body)
        eq(j["status"], "completed", "run status")
        eq(s.download(j["request_id"]), H.run_lda(example()).files,
           "reports of the CGI run")
    finally:
        shutil.rmtree(var, ignore_errors=True)


_installed = {}


def installed():
    """A `make install DESTDIR=<tmp> PREFIX=/opt/lda` of this tree (once per
    suite run); (destdir, prefix path inside it)."""
    if "dest" not in _installed:
        dest = tempfile.mkdtemp(prefix="lda-inst-")
        os.chmod(dest, 0o755)
        mode = ["MODE=asan"] if "/asan/" in H.CGI_DIR + "/" else []
        p = subprocess.run(["make", "-s", "install", "DESTDIR=" + dest,
                            "PREFIX=/opt/lda"] + mode, cwd=H.REPO,
                           capture_output=True, text=True, timeout=600)
        eq(p.returncode, 0, "make install: %s" % p.stderr[-500:])
        _installed["dest"] = dest
    return _installed["dest"], os.path.join(_installed["dest"], "opt", "lda")


def wait_port(port, proc, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        check(proc.poll() is None, "the server exited during start-up")
        try:
            Client("http://127.0.0.1:%d" % port).request("GET", "/")
            return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("no answer on port %d" % port)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def one_run(url, key=None):
    """A run of the example through url; its reports must be build/lda's."""
    c = Client(url)
    r = c.request("POST", "/api/orchestrate", body=example(), ctype="text/csv",
                  headers={"X-API-Key": key} if key else None)
    eq(r.status, 200, "run through %s: %r" % (url, r.body[:300]))
    rid = r.json()["request_id"]
    files = {}
    for n in H.OUTPUTS:
        d = c.request("GET", "/api/runs/%s/%s" % (rid, n))
        eq(d.status, 200, "download " + n)
        files[n] = d.body
    eq(files, H.run_lda(example()).files, "reports through " + url)


@test
def deploy_make_install():
    """make install: the installed lda gives the reference reports; the
    installed lda-server (LDA_ROOT found from its own place, no checkout)
    serves the page and a run; make uninstall leaves nothing."""
    dest, prefix = installed()
    for f in ("bin/lda", "bin/lda-server", "bin/lda-backend", "bin/lda-detect",
              "share/lda/scripts/lighttpd-routes.sh", "share/lda/programs", "share/lda/www/index.html",
              "share/lda/deploy/lda.conf", "share/lda/deploy/lda-apache.conf",
              "share/lda/deploy/htaccess"):
        check(os.path.isfile(os.path.join(prefix, f)), f + " not installed")
    for prog in PROGRAMS:
        check(os.access(os.path.join(prefix, "share/lda/cgi-bin",
                                     prog + ".fcgi"), os.X_OK), prog)
    work = tempfile.mkdtemp(prefix="lda-inst-run-")
    try:
        p = subprocess.run([os.path.join(prefix, "bin/lda"), EXAMPLE,
                            os.path.join(work, "out")],
                           env=H.clean_env({}), capture_output=True, timeout=60)
        eq(p.returncode, 0, "installed lda")
        for n in H.REPORTS:
            with open(os.path.join(work, "out", n), "rb") as f:
                eq(f.read(), H.run_lda(example()).files[n], "installed " + n)
        port = H.free_port()
        env = H.clean_env({"LDA_PORT": port,
                           "LDA_VAR_DIR": os.path.join(work, "var"),
                           "LDA_INPUT_DIR": os.path.join(work, "input")})
        server = os.path.join(prefix, "bin/lda-server")
        p = subprocess.run([server, "start"], env=env, cwd=work,
                           capture_output=True, text=True, timeout=60)
        eq(p.returncode, 0, "installed lda-server start: %s" % p.stderr)
        try:
            page = Client("http://127.0.0.1:%d" % port).request("GET", "/")
            check(b"<html" in page.body, "the installed page")
            one_run("http://127.0.0.1:%d" % port)
        finally:
            subprocess.run([server, "stop"], env=env, cwd=work,
                           capture_output=True, timeout=60)
        u = subprocess.run(["make", "-s", "uninstall", "DESTDIR=" + dest,
                            "PREFIX=/opt/lda"], cwd=H.REPO,
                           capture_output=True, text=True, timeout=60)
        eq(u.returncode, 0, "make uninstall")
        left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
        eq(left, [], "files left by make uninstall")
    finally:
        _installed.clear()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(dest, ignore_errors=True)


def give(path):
    """As root, the tree goes to www-data (Apache's user here)."""
    if as_root():
        subprocess.run(["chown", "-R", "www-data:www-data", path], check=True)


def apache_conf(root, port, body, modules):
    user = "User www-data\nGroup www-data\n" if as_root() else ""
    loads = "".join("LoadModule %s_module %s/mod_%s.so\n" % (m, MODS, m)
                    for m in ("mpm_event", "authz_core", "mime", "dir",
                              "rewrite", "env") + modules)
    conf = os.path.join(root, "httpd.conf")
    with open(conf, "w") as f:
        f.write(loads + user + (
            "ServerName localhost\nListen 127.0.0.1:%d\n"
            "PidFile %s/httpd.pid\nErrorLog %s/error.log\n"
            "DefaultRuntimeDir %s\nMutex file:%s default\n"
            "<IfModule cgid_module>\n  ScriptSock %s/cgid.sock\n"
            "</IfModule>\nTypesConfig /etc/mime.types\n"
            "<Files \".ht*\">\n  Require all denied\n</Files>\n"
            % (port, root, root, root, root, root)) + body)
    return conf


def run_apache(conf):
    return subprocess.Popen(["apache2", "-f", conf, "-D", "FOREGROUND"],
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def fill(text, var, url, key, prefix=None):
    """The snippet's values filled in as an administrator would; a DESTDIR
    install's files are under prefix, not /opt/lda."""
    if prefix:
        text = text.replace("/opt/lda/", prefix + "/")
    return (text.replace('"http://127.0.0.1:80"', '"%s"' % url)
                .replace('"http://example.invalid"', '"%s"' % url)
                .replace('"change-me"', '"%s"' % key)
                .replace("/var/lib/lda", var))


@test
def deploy_shared_hosting_htaccess():
    """Shared hosting: the page, the installed htaccess and the programs in
    a document root's cgi-bin/, under an Apache configured only with that
    document root, AllowOverride and stock modules; a run end to end."""
    H.not_under_asan("Apache configuration")
    _, prefix = installed()
    share = os.path.join(prefix, "share/lda")
    root = tempfile.mkdtemp(prefix="lda-shared-")
    os.chmod(root, 0o755)
    docroot, var = os.path.join(root, "htdocs"), os.path.join(root, "var")
    shutil.copytree(os.path.join(share, "www"), docroot)
    shutil.copytree(os.path.join(share, "cgi-bin"),
                    os.path.join(docroot, "cgi-bin"))
    os.makedirs(var)
    port = H.free_port()
    url = "http://127.0.0.1:%d" % port
    with open(os.path.join(share, "deploy/htaccess")) as f:
        text = fill(f.read(), var, url, "k" * 40, prefix)
    with open(os.path.join(docroot, ".htaccess"), "w") as f:
        f.write(text)
    give(var)
    conf = apache_conf(root, port, (
        "DocumentRoot %s\n<Directory %s>\n  AllowOverride All\n"
        "  Require all granted\n</Directory>\n" % (docroot, docroot)),
        ("cgid", "alias"))
    proc = run_apache(conf)
    try:
        wait_port(port, proc)
        page = Client(url).request("GET", "/")
        check(b"<html" in page.body, "the page")
        eq(Client(url).request("GET", "/.htaccess").status, 403,
           ".htaccess is not served")
        one_run(url)
    finally:
        stop(proc)
        shutil.rmtree(root, ignore_errors=True)


def snippet_site(prefix, name):
    """A private root for a server that includes the installed snippet
    deploy/<name>, its values filled in: (root, port, url, snippet path)."""
    root = tempfile.mkdtemp(prefix="lda-inc-")
    os.chmod(root, 0o755)
    var = os.path.join(root, "var")
    os.makedirs(var)
    port = H.free_port()
    url = "http://127.0.0.1:%d" % port
    with open(os.path.join(prefix, "share/lda/deploy", name)) as f:
        text = fill(f.read(), var, url, "k" * 40, prefix)
    inc = os.path.join(root, name)
    with open(inc, "w") as f:
        f.write(text)
    give(var)
    return root, port, url, inc


def serve_and_run(proc, port, url, root):
    try:
        wait_port(port, proc)
        one_run(url)
    finally:
        stop(proc)
        shutil.rmtree(root, ignore_errors=True)


@test
def deploy_apache_include():
    """An existing Apache (a private one here) that Includes the installed
    deploy/lda-apache.conf, its three values filled in: a run."""
    _, prefix = installed()
    root, port, url, inc = snippet_site(prefix, "lda-apache.conf")
    with open(inc, "a") as f:
        f.write("FcgidIPCDir %s\nFcgidProcessTableFile %s/shm\n"
                % (root, root))
    if as_root():
        subprocess.run(["chown", "www-data", root], check=True)
    conf = apache_conf(root, port, "Include %s\n" % inc, ("fcgid",))
    serve_and_run(run_apache(conf), port, url, root)


@test
def deploy_lighttpd_include():
    """An existing lighttpd (a private one here) whose configuration
    includes the installed deploy/lda.conf, its values filled in: a run."""
    _, prefix = installed()
    root, port, url, inc = snippet_site(prefix, "lda.conf")
    conf = os.path.join(root, "lighttpd.conf")
    with open(conf, "w") as f:
        f.write('server.port = %d\nserver.bind = "127.0.0.1"\n'
                'server.document-root = "%s"\n'
                'server.errorlog = "%s/error.log"\ninclude "%s"\n'
                % (port, os.path.join(prefix, "share/lda/www"), root, inc))
    proc = subprocess.Popen(["lighttpd", "-D", "-f", conf],
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    serve_and_run(proc, port, url, root)
