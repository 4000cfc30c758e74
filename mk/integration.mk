# integration.mk: the HTTP integration suite (tests/integration, python3
# stdlib only) against a real lighttpd started by scripts/lda-server on a
# free port with a temporary LDA_VAR_DIR. Uses the programs and the
# reference runner of the current MODE, so `make MODE=asan integration`
# runs the suite against the ASan+UBSan builds.
#
#   make integration                      every test
#   make integration INTEGRATION_ARGS=dedup   tests whose name has "dedup"
#   make integration-apache               the suite again under Apache
#                                         (mod_fcgid, then plain CGI)
#   make integration INTEGRATION_JOBS=1   one test at a time
#
# The tests run on INTEGRATION_JOBS worker processes (default 2): they
# mostly wait on the servers they start, so one at a time leaves the cores
# idle two thirds of the run. Every test starts its own servers on free
# ports with their own var dirs, so workers never share one.

INTEGRATION_ARGS ?=
INTEGRATION_JOBS ?= 2

.PHONY: integration
integration: all
	LDA_TEST_CGI_DIR=$(abspath $(CGI)) LDA_TEST_LDA=$(abspath $(B)/lda) \
	    python3 tests/integration/run.py --jobs $(INTEGRATION_JOBS) \
	    $(INTEGRATION_ARGS)

# The same suite with every test server on Apache: mod_fcgid (apache), then
# plain CGI (apache-cgi) -- scripts/lda-server LDA_SERVER. Tests of one
# server's own behaviour say "skip" under the others.
.PHONY: integration-apache
integration-apache: all
	LDA_TEST_SERVER=apache LDA_TEST_CGI_DIR=$(abspath $(CGI)) \
	    LDA_TEST_LDA=$(abspath $(B)/lda) \
	    python3 tests/integration/run.py --jobs $(INTEGRATION_JOBS) \
	    $(INTEGRATION_ARGS)
	LDA_TEST_SERVER=apache-cgi LDA_TEST_CGI_DIR=$(abspath $(CGI)) \
	    LDA_TEST_LDA=$(abspath $(B)/lda) \
	    python3 tests/integration/run.py --jobs $(INTEGRATION_JOBS) \
	    $(INTEGRATION_ARGS)
