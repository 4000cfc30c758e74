"""test_gzip: compressed input through the real server
(docs/input.md#compressed-input, docs/api.md#orchestrate-input-forms) and
the words for a file that is not comma-separated UTF-8
(docs/input.md#what-the-file-looks-like).

- a gzip body (text/csv + Content-Encoding: gzip), a gzip body sent without
  the header, a multi-member body, a gzip multipart part, a gzip multipart
  body, a gzip input_file: reports byte-identical to the plain upload;
- truncated and corrupt streams are 400 in safe words, a Content-Encoding
  other than gzip 415;
- the cap: inflated input of exactly MAX_UPLOAD_BYTES runs, one byte more
  is 413; a 1 GiB-of-zeros bomb (about 1 MB compressed) is 413 in every
  form, and the orchestrator's peak RSS stays far below what the bomb
  would inflate to;
- ';'-separated, UTF-16 and doubly compressed files are told apart."""

import gzip
import os
import zlib

import harness as H
from harness import check, eq, expect_error, expect_status, test

CAP = 4 << 20  # MAX_UPLOAD_BYTES of the small server


def gz(data, level=6):
    return gzip.compress(data, compresslevel=level, mtime=0)


def plain_input():
    return H.gen_input(21).data


def small_server():
    """MAX_UPLOAD_BYTES = 4 MiB, one orchestrator process (its peak RSS is
    the one that handled the bombs)."""
    return H.shared_server(MAX_UPLOAD_BYTES=CAP, LDA_PROCS_ORCHESTRATE=1)


_bomb = []


def bomb():
    """1 GiB of zeros as 64 gzip members of 16 MiB each (~1 MB)."""
    if not _bomb:
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        member = c.compress(b"\0" * (16 << 20)) + c.flush()
        _bomb.append(member * 64)
    return _bomb[0]


def reports_of(s, resp):
    expect_status(resp, 200)
    j = resp.json()
    eq(j["status"], "completed", "status (error %r)" % j.get("error"))
    return j, s.download(j["request_id"])


def same_run(s, resp, want_j, want_files, what):
    j, files = reports_of(s, resp)
    for k in ("event_count", "rejected_count", "rejected",
              "aggregated_count"):
        eq(j[k], want_j[k], "%s: %s" % (what, k))
    for n in H.OUTPUTS:
        eq(files[n], want_files[n], "%s: %s vs the plain upload" % (what, n))


def gz_csv(s, body, encoding="gzip", **kw):
    return s.post("/api/orchestrate", body, "text/csv",
                  headers={"Content-Encoding": encoding}, **kw)


@test
def gzip_body_forms_same_reports():
    """text/csv + Content-Encoding: gzip, the same without the header,
    several members, and a gzip multipart body: the plain run's bytes."""
    s = H.shared_server()
    data = plain_input()
    pj, pf = reports_of(s, s.orchestrate_csv(data))
    check(pj["aggregated_count"] > 0 and pj["rejected_count"] > 0,
          "the input has detections and rejected rows")
    for n in H.OUTPUTS:
        eq(pf[n], H.run_lda(data).files[n], "plain upload vs build/lda")
    z = gz(data)
    check(len(z) * 3 < len(data), "compressed %d of %d" % (len(z), len(data)))
    same_run(s, gz_csv(s, z), pj, pf, "Content-Encoding: gzip")
    same_run(s, gz_csv(s, z, "x-gzip"), pj, pf, "Content-Encoding: x-gzip")
    same_run(s, s.orchestrate_csv(z), pj, pf, "gzip without the header")
    half = len(data) // 2
    multi = gz(data[:half]) + gz(data[half:], 1)
    same_run(s, gz_csv(s, multi), pj, pf, "two gzip members")
    body, ct = H.multipart([("file", "day.csv", "text/csv", data)])
    same_run(s, s.post("/api/orchestrate", gz(body), ct,
                       headers={"Content-Encoding": "gzip"}),
             pj, pf, "gzip multipart body")
    # build/lda reads the .gz by its magic bytes
    eq(H.run_lda(z).files, H.run_lda(data).files, "build/lda on the .gz")


@test
def gzip_multipart_part_and_input_file():
    s = H.shared_server()
    data = plain_input()
    pj, pf = reports_of(s, s.orchestrate_csv(data))
    z = gz(data)
    body, ct = H.multipart([("note", "note.txt", None, b"x"),
                            ("file", "day.csv.gz", "application/gzip", z)])
    same_run(s, s.post("/api/orchestrate", body, ct), pj, pf,
             "gzip multipart part")
    body, ct = H.multipart([("file", "day.csv", "text/csv", z)])
    same_run(s, s.post("/api/orchestrate", body, ct), pj, pf,
             "gzip part labelled text/csv")
    s.put_input("day.csv.gz", z)
    same_run(s, s.orchestrate_file("day.csv.gz"), pj, pf, "gzip input_file")
    s.put_input("cut.csv.gz", z[:len(z) // 2])
    expect_error(s.orchestrate_file("cut.csv.gz"), 400, "truncated")


@test
def gzip_truncated_corrupt_refused():
    s = H.shared_server()
    data = plain_input()
    z = gz(data)
    for cut, what in ((len(z) // 2, "middle"), (len(z) - 4, "trailer"),
                      (6, "header")):
        r = gz_csv(s, z[:cut])
        expect_error(r, 400, "compressed input is truncated")
        check("zlib" not in r.text and "inflate" not in r.text,
              "library words in %r" % r.text)
    bad = bytearray(z)
    bad[len(bad) // 2] ^= 0x55
    expect_error(gz_csv(s, bytes(bad)), 400, "compressed input is corrupt")
    expect_error(gz_csv(s, z + b"junk"), 400, "compressed input is corrupt")
    body, ct = H.multipart([("file", "x.csv.gz", None, z[:len(z) // 2])])
    expect_error(s.post("/api/orchestrate", body, ct), 400, "truncated")
    expect_error(gz_csv(s, data), 400, "not gzip data")
    expect_error(gz_csv(s, z, "br"), 415, "Content-Encoding")
    expect_error(gz_csv(s, z, "gzip, gzip"), 415, "Content-Encoding")


def orchestrate_peak_kb(s):
    """Peak RSS (VmHWM, KiB) of each live orchestrator process."""
    import test_faults as F
    out = []
    for pid in F.program_pids(s)["orchestrate"]:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        out.append(int(line.split()[1]))
        except OSError:
            pass
    return out


@test
def gzip_cap_and_bomb():
    """Inflated exactly MAX_UPLOAD_BYTES: runs; one byte more: 413. A
    1 GiB bomb: 413 in each form, without the memory to hold it."""
    s = small_server()
    data = plain_input()
    exact = data + b"\n" * (CAP - len(data))  # blank lines are ignored
    eq(len(exact), CAP, "padded length")
    reports_of(s, gz_csv(s, gz(exact, 9)))
    expect_error(gz_csv(s, gz(exact + b"\n", 9)), 413,
                 "decompressed input larger than MAX_UPLOAD_BYTES")
    b = bomb()
    check(len(b) < CAP, "the bomb (%d bytes) fits the upload limit" % len(b))
    expect_error(gz_csv(s, b), 413, "MAX_UPLOAD_BYTES")
    expect_error(s.orchestrate_csv(b), 413, "MAX_UPLOAD_BYTES")
    body, ct = H.multipart([("file", "bomb.csv.gz", None, b)])
    expect_error(s.post("/api/orchestrate", body, ct), 413,
                 "MAX_UPLOAD_BYTES")
    s.put_input("bomb.csv.gz", b)
    expect_error(s.orchestrate_file("bomb.csv.gz"), 413, "MAX_UPLOAD_BYTES")
    peaks = orchestrate_peak_kb(s)
    if not peaks:  # plain CGI: each request was a process, gone by now
        check(H.SERVER == "apache-cgi", "no orchestrator process found")
        return
    # 1 GiB inflated would be 1048576 KiB; the cap is 4 MiB.
    if H.VERBOSE:
        print("orchestrator peak RSS after the bombs: %r KiB" % peaks)
    check(max(peaks) < 200 * 1024,
          "orchestrator peak RSS %r KiB after the bombs" % peaks)


@test
def input_says_what_the_file_looks_like():
    s = H.shared_server()
    with open(os.path.join(H.DATA, "transactions.csv"), "rb") as f:
        data = f.read().decode("utf-8")
    header = data.split("\n", 1)[0].lstrip("\ufeff")
    semi = data.replace(",", ";").encode("utf-8")
    expect_error(s.orchestrate_csv(semi), 400, "fields seem separated by ';'")
    tabs = data.replace(",", "\t").encode("utf-8")
    expect_error(s.orchestrate_csv(tabs), 400, "separated by tabs")
    expect_error(s.orchestrate_csv(("\ufeff" + data).encode("utf-16-le")),
                 400, "the file is UTF-16", "save it as UTF-8")
    expect_error(s.orchestrate_csv(data.encode("utf-16-le")), 400, "UTF-16")
    twice = gz(gz(data.encode("utf-8")))
    expect_error(s.orchestrate_csv(twice), 400,
                 "this looks like a gzip file")
    expect_error(s.orchestrate_csv(b"PK\x03\x04" + b"\0" * 40), 400,
                 "zip archive", ".xlsx")
    # an ordinary missing column keeps the ordinary words
    expect_error(s.orchestrate_csv(header.replace("side", "sid") + "\n"),
                 400, "missing required column(s): side")
