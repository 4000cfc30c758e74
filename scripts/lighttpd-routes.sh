#!/bin/sh
# lighttpd-routes.sh -- the routes of lighttpd.conf, printed as lighttpd
# configuration: lighttpd.conf reads them with include_shell, so they are
# worked out from the environment each time lighttpd reads its
# configuration (also for `lighttpd -t`).  scripts/lda-server (and
# scripts/lda-backend, which is lda-server in the detector-host role)
# validates and exports every variable used here:
#
#   LDA_ROLE                front (lda-server) or backend (lda-backend)
#   LDA_DETECT_HOSTS        front only: "host:port ..." (validated; IPv6 in
#                           brackets) -- the detector hosts
#   LDA_DETECT_BALANCE      lighttpd's proxy.balance over those hosts
#   LDA_DETECT_DISABLE_TIME seconds a host that failed is left out
#
# What is printed (each program is declared exactly once: one pool of
# processes and sockets per program; the $HTTP["url"] conditions pick which
# declaration applies; a plain prefix key would over-match --
# "/api/detect/wash" is a string prefix of "/api/detect/washing" -- hence
# the regex conditions):
#
#   front, LDA_DETECT_HOSTS unset (the default, one host):
#     /api/detect/layering[/...]   -> detect-layering.fcgi (local FastCGI)
#     /api/detect/wash[/...]       -> detect-wash.fcgi
#     /api/aggregate[/...], /api/runs[/...]       -> aggregate.fcgi
#     /api/orchestrate[/...], /api/health[/...], /api/metrics,
#     /api/params -> orchestrate.fcgi
#   front, LDA_DETECT_HOSTS set: the same, except that /api/detect/* go to
#     the detector hosts through mod_proxy's host list (balance,
#     disable-time, and a request whose connection fails is sent to
#     another host), and no detector process runs here;
#   backend (a detector host): the two detectors, and /api/metrics (this
#     host's metrics: every program answers it) -> detect-layering.fcgi.
#
# Everything else is static files from www/ (lighttpd.conf).
set -eu

sep=""                          # "else " once a block has been printed

# detector_local NAME [PATH]: /api/detect/NAME (and /api/PATH, when
# given) -> detect-NAME.fcgi, FastCGI processes on this host.  Timeouts: a
# detector gets LDA_DETECT_TIMEOUT seconds per request (more than
# ALGORITHM_TIMEOUT_SECONDS: the orchestrator gives up first, this is only
# a safety net).
detector_local() {
    re="detect/$1(/|\$)" key="/api/detect/$1"
    if [ -n "${2:-}" ]; then
        re="(detect/$1(/|\$)|$2\$)" key="/api/"
    fi
    cat <<EOF
${sep}\$HTTP["url"] =~ "^/api/$re" {
$(stream_internal)
  fastcgi.server = ( "$key" => ( "detect-$1" => (
    "bin-path"        => var.lda_cgi + "detect-$1.fcgi",
    "socket"          => var.lda_sock + "detect-$1.sock",
    "max-procs"       => env.LDA_PROCS_DETECT,
    "check-local"     => "disable",
    "connect-timeout" => 10,
    "read-timeout"    => env.LDA_DETECT_TIMEOUT,
    "write-timeout"   => env.LDA_DETECT_TIMEOUT,
  )))
}
EOF
    sep="else "
}

# stream_internal: only the orchestrator's calls (X-API-Key =
# INTERNAL_API_KEY) have their body forwarded as it arrives (1: buffering
# what the program has not read yet); every other caller's body is spooled
# whole first (0, the global setting), so a slow sender never holds one of
# the few detector processes.
stream_internal() {
    cat <<'EOF'
  $REQUEST_HEADER["X-API-Key"] == env.INTERNAL_API_KEY {
    server.stream-request-body = 1
  }
EOF
}

# detectors_remote: /api/detect/(layering|wash)[/...] -> one host list,
# shared by both detectors, over HTTP (each detector host runs a lighttpd
# of its own: scripts/lda-backend).  lighttpd's gw_backend (shared by
# mod_fastcgi and mod_proxy) picks a host by proxy.balance; a host whose
# connection fails is disabled for disable-time seconds and the request,
# not yet sent, goes to another host.  A host lost while it was answering
# makes that request a 502, which the orchestrator retries (SPEC 5.5), and
# the retry meets a live host.
detectors_remote() {
    echo 'server.modules += ( "mod_proxy" )'
    echo "${sep}\$HTTP[\"url\"] =~ \"^/api/detect/(layering|wash)(/|\$)\" {"
    stream_internal
    echo "  proxy.balance = \"$LDA_DETECT_BALANCE\""
    echo '  proxy.server = ( "" => ('
    for hp in $LDA_DETECT_HOSTS; do
        port=${hp##*:}
        host=${hp%:*}
        host=${host#\[}
        host=${host%\]}
        echo "    ( \"host\" => \"$host\", \"port\" => $port,"
        echo "      \"connect-timeout\" => 5,"
        echo "      \"read-timeout\"    => env.LDA_DETECT_TIMEOUT,"
        echo "      \"write-timeout\"   => env.LDA_DETECT_TIMEOUT,"
        echo "      \"disable-time\"    => $LDA_DETECT_DISABLE_TIME ),"
    done
    echo '  ))'
    echo '}'
    sep="else "
}

# aggregate: key "/api/": SCRIPT_NAME is /api/aggregate or /api/runs,
# PATH_INFO the rest.  x-sendfile lets aggregate answer a download with an
# "X-Sendfile: <path>" header instead of the body (lighttpd then sends the
# file); only files under $LDA_VAR_DIR/runs/ are allowed.  Optional for the
# program.  orchestrate: key "/api/": SCRIPT_NAME is /api/orchestrate,
# /api/health, /api/metrics or /api/params.  Neither has a read/write timeout (an
# orchestrate run is bounded by its own retry budget, and a request that is
# queued behind a long run must not be cut off).
front_programs() {
    cat <<EOF
${sep}\$HTTP["url"] =~ "^/api/(aggregate(/|\$)|runs(/|\$))" {
  fastcgi.server = ( "/api/" => ( "aggregate" => (
    "bin-path"           => var.lda_cgi + "aggregate.fcgi",
    "socket"             => var.lda_sock + "aggregate.sock",
    "max-procs"          => env.LDA_PROCS_AGGREGATE,
    "check-local"        => "disable",
    "connect-timeout"    => 10,
    "x-sendfile"         => "enable",
    "x-sendfile-docroot" => ( env.LDA_VAR_DIR + "/runs/" ),
  )))
}
else \$HTTP["url"] =~ "^/api/(orchestrate|health|metrics|params)(/|\$)" {
  fastcgi.server = ( "/api/" => ( "orchestrate" => (
    "bin-path"        => var.lda_cgi + "orchestrate.fcgi",
    "socket"          => var.lda_sock + "orchestrate.sock",
    "max-procs"       => env.LDA_PROCS_ORCHESTRATE,
    "check-local"     => "disable",
    "connect-timeout" => 10,
  )))
}
EOF
}

case "${LDA_ROLE:-front}" in
    backend)
        detector_local layering metrics
        detector_local wash
        ;;
    *)
        if [ -n "${LDA_DETECT_HOSTS:-}" ]; then
            detectors_remote
        else
            detector_local layering
            detector_local wash
        fi
        front_programs
        ;;
esac
