# server.mk: the web server (lighttpd.conf + scripts/lda-server) from make.
#
#   make server-run       foreground server (what `make run` runs after building)
#   make server-start     background server; server-stop, server-status
#   make server-smoke     start a private server (free port, temp var dir) on
#                         the programs of this MODE, check every program's
#                         health (the list of services, lda_svc.c), the
#                         413 limit and scripts/lda-detect against build/lda,
#                         stop it and check nothing is left running
#
# The programs come from $(CGI), so `make MODE=asan server-smoke` runs the
# ASan builds.  An LDA_CGI_DIR set in the environment wins.  The other
# variables (LDA_PORT, LDA_VAR_DIR, API_KEY, ...) pass through the environment.

LDA_CGI_DIR ?= $(abspath $(CGI))
SERVER_SMOKE_INPUT ?= tests/golden/01-example/input.csv

.PHONY: server-run server-start server-stop server-status server-smoke

server-run: $(PROGRAMS)
	LDA_CGI_DIR='$(LDA_CGI_DIR)' sh scripts/lda-server run

server-start: $(PROGRAMS)
	LDA_CGI_DIR='$(LDA_CGI_DIR)' sh scripts/lda-server start

server-stop:
	sh scripts/lda-server stop

server-status:
	sh scripts/lda-server status

# One shell: the trap stops the private server whatever fails.
server-smoke: $(PROGRAMS) $(B)/lda
	@set -eu; \
	t=$$(mktemp -d /tmp/lda-smoke.XXXXXX); \
	export LDA_VAR_DIR=$$t/var LDA_CGI_DIR='$(LDA_CGI_DIR)' LDA_BIND=127.0.0.1; \
	export LDA_PORT=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'); \
	export MAX_UPLOAD_BYTES=1048576; \
	unset LDA_INTERNAL_URL API_KEY INTERNAL_API_KEY LDA_FAILPOINTS LDA_URL; \
	trap 'sh scripts/lda-server stop >/dev/null 2>&1 || true; rm -rf "$$t"' EXIT; \
	u=http://127.0.0.1:$$LDA_PORT; \
	sh scripts/lda-server start >/dev/null; \
	health=$$(curl -fsS "$$u/api/health"); \
	for p in $(PROGRAM_NAMES); do \
	    echo "$$health" | python3 -c 'import json,sys; \
	        sys.exit(json.load(sys.stdin)["services"][sys.argv[1]]["status"] != "healthy")' "$$p" || \
	        { echo "server-smoke: /api/health: $$p: $$health" >&2; exit 1; }; \
	done; \
	curl -fsS -o /dev/null "$$u/"; \
	code=$$(head -c 1049601 /dev/zero | curl -s -o /dev/null -w '%{http_code}' \
	        -H 'Content-Type: text/csv' --data-binary @- "$$u/api/orchestrate"); \
	[ "$$code" = 413 ] || { echo "server-smoke: oversized body got $$code" >&2; exit 1; }; \
	LDA_URL=$$u sh scripts/lda-detect '$(SERVER_SMOKE_INPUT)' "$$t/out" "$$t/logs" >/dev/null; \
	'$(B)/lda' '$(SERVER_SMOKE_INPUT)' "$$t/ref" >/dev/null; \
	cmp "$$t/ref/suspicious_accounts.csv" "$$t/out/suspicious_accounts.csv"; \
	cmp "$$t/ref/detections.csv" "$$t/logs/detections.csv"; \
	sh scripts/lda-server stop >/dev/null; \
	if sh scripts/lda-server status >/dev/null; then \
	    echo "server-smoke: still running after stop" >&2; exit 1; fi; \
	left=""; for f in /proc/[0-9]*/comm; do \
	    { read -r c < "$$f"; } 2>/dev/null || continue; \
	    case " lighttpd $(foreach p,$(PROGRAM_NAMES),$(shell printf '%.15s' $(p).fcgi)) " in *" $$c "*) ;; *) continue ;; esac; \
	    { tr '\0' '\n' < "$${f%comm}environ"; } 2>/dev/null | grep -qxF "LDA_VAR_DIR=$$LDA_VAR_DIR" && \
	        left="$$left $${f%/comm}"; \
	done; \
	[ -z "$$left" ] || { echo "server-smoke: left running:$$left" >&2; exit 1; }; \
	echo "server-smoke: ok (routes, 413, lda-detect == $(B)/lda)"
