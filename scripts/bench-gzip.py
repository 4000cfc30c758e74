#!/usr/bin/env python3
"""bench-gzip: the compressed-upload table of `make bench`
(scripts/bench-services.sh runs it after the server table): the realistic
input uploaded plain and gzip-compressed to one private lighttpd server
(var dir on tmpfs when there is one), each as curl would send it:

  plain          text/csv body (curl -T)
  gzip body      text/csv + Content-Encoding: gzip (curl -T of the .gz)
  gzip part      multipart/form-data, the .gz as the "file" part (curl -F)
  gzip file      {"input_file": "x.csv.gz"}: nothing sent but the name, the
                 server inflates the file from LDA_INPUT_DIR

Per form: bytes sent, best end-to-end wall time of RUNS (upload, the whole
run, both reports downloaded), the orchestrator's inflate time (its
"input inflated" log line), and whether the reports are byte-identical to
the plain upload's. The last column is computed, not measured: the wall
time plus the time the bytes would take on a 100 Mbit/s link, where the
compression pays. The .gz is made once with gzip -6 and cached next to the
input. Reports, never fails on figures; exit 1 when the server does not
start or a run fails.

usage: bench-gzip.py INPUT [RUNS]"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

from benchlib import ROOT, SERVER, free_port

REPORTS = ("suspicious_accounts.csv", "detections.csv")
LINK_BPS = 100e6


def gz_of(inp):
    out = inp + ".gz"
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(inp):
        with open(inp, "rb") as f, gzip.open(out + ".tmp", "wb", 6) as g:
            shutil.copyfileobj(f, g, 1 << 20)
        os.replace(out + ".tmp", out)
    return out


def one_run(url, form, path, outdir):
    """(wall seconds, request id, reports) of one run in this form."""
    rid = str(uuid.uuid4())
    resp = os.path.join(outdir, "response.json")
    cmd = ["curl", "-sS", "-o", resp, "-w", "%{http_code}",
           "-H", "X-Request-ID: " + rid]
    if form == "plain":
        cmd += ["-H", "Content-Type: text/csv", "-X", "POST", "-T", path]
    elif form == "gzip body":
        cmd += ["-H", "Content-Type: text/csv", "-H",
                "Content-Encoding: gzip", "-X", "POST", "-T", path]
    elif form == "gzip part":
        cmd += ["-F", "file=@%s;type=application/gzip" % path]
    else:
        cmd += ["-H", "Content-Type: application/json", "--data-binary",
                json.dumps({"input_file": os.path.basename(path)})]
    t0 = time.perf_counter()
    p = subprocess.run(cmd + [url + "/api/orchestrate"], capture_output=True,
                       text=True)
    if p.returncode != 0 or p.stdout.strip() != "200":
        raise SystemExit("bench-gzip: %s: curl exit %d, HTTP %s %s" % (
            form, p.returncode, p.stdout.strip(), p.stderr[:200]))
    with open(resp) as f:
        outputs = json.load(f)["outputs"]
    dl = ["curl", "-sS", "--fail"]
    for name in REPORTS:
        dl += ["-o", os.path.join(outdir, name),
               url + outputs[name.rsplit(".", 1)[0]]]
    if subprocess.run(dl, capture_output=True).returncode != 0:
        raise SystemExit("bench-gzip: %s: download failed" % form)
    wall = time.perf_counter() - t0
    reports = {}
    for name in REPORTS:
        with open(os.path.join(outdir, name), "rb") as f:
            reports[name] = f.read()
    return wall, rid, reports


def inflate_ms(var, rid):
    try:
        with open(os.path.join(var, "log", "error.log"), errors="replace") as f:
            for line in f:
                if rid in line and "input inflated" in line:
                    return json.loads(line[line.index("{"):]).get("inflate_ms")
    except (OSError, ValueError):
        pass
    return None


def main():
    inp = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    gz = gz_of(inp)
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    tmp = tempfile.mkdtemp(prefix="lda-bench-gzip.", dir=base)
    var, indir, out = (os.path.join(tmp, d) for d in ("var", "input", "out"))
    os.makedirs(indir)
    os.makedirs(out)
    shutil.copyfile(gz, os.path.join(indir, "bench.csv.gz"))
    port = free_port()
    env = dict(os.environ, LDA_SERVER="lighttpd", LDA_PORT=str(port),
               LDA_VAR_DIR=var, LDA_INPUT_DIR=indir, LDA_BIND="127.0.0.1",
               LDA_START_TIMEOUT="60")
    for v in ("API_KEY", "MAX_UPLOAD_BYTES", "MAX_EVENTS", "LDA_FAILPOINTS",
              "RATE_LIMIT_PER_MINUTE"):
        env.pop(v, None)
    p = subprocess.run(["sh", SERVER, "start"], env=env, capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit(1)
    url = "http://127.0.0.1:%d" % port
    plain_size, gz_size = os.path.getsize(inp), os.path.getsize(gz)
    with open(gz, "rb") as f:
        part_size = len(f.read()) + 200  # about: the part's headers
    forms = (("plain", inp, plain_size), ("gzip body", gz, gz_size),
             ("gzip part", gz, part_size),
             ("gzip file", os.path.join(indir, "bench.csv.gz"), 30))
    try:
        print()
        print("compressed upload: %s (%s bytes; gzip -6: %s bytes, %.1fx), "
              "lighttpd, best of %d"
              % (os.path.basename(inp), format(plain_size, ","),
                 format(gz_size, ","), plain_size / gz_size, runs))
        print("%-10s %14s %10s %11s %10s %18s"
              % ("form", "bytes sent", "wall s", "inflate ms", "reports",
                 "at 100 Mbit/s s"))
        print("%-10s %14s %10s %11s %10s %18s"
              % ("-" * 10, "-" * 14, "-" * 10, "-" * 11, "-" * 10, "-" * 18))
        ref = None
        for form, path, sent in forms:
            best, best_rid, reports = None, None, None
            for _ in range(runs):
                wall, rid, rep = one_run(url, form, path, out)
                if best is None or wall < best:
                    best, best_rid, reports = wall, rid, rep
            ref = ref or reports
            ms = inflate_ms(var, best_rid)
            print("%-10s %14s %10.3f %11s %10s %18.3f"
                  % (form, format(sent, ","), best,
                     "-" if ms is None else "%.0f" % ms,
                     "identical" if reports == ref else "DIFFER",
                     best + sent * 8 / LINK_BPS), flush=True)
        print("bytes sent: the body (gzip part: about, with its headers); "
              "the last column adds bytes/(100 Mbit/s) to the wall time")
    finally:
        subprocess.run(["sh", SERVER, "stop"], env=env, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
