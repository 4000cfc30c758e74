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

INTEGRATION_ARGS ?=

.PHONY: integration
integration: all
	LDA_TEST_CGI_DIR=$(abspath $(CGI)) LDA_TEST_LDA=$(abspath $(B)/lda) \
	    python3 tests/integration/run.py $(INTEGRATION_ARGS)

# The same suite with every test server on Apache: mod_fcgid (apache), then
# plain CGI (apache-cgi) -- scripts/lda-server LDA_SERVER. Tests of one
# server's own behaviour say "skip" under the others.
.PHONY: integration-apache
integration-apache: all
	LDA_TEST_SERVER=apache LDA_TEST_CGI_DIR=$(abspath $(CGI)) \
	    LDA_TEST_LDA=$(abspath $(B)/lda) \
	    python3 tests/integration/run.py $(INTEGRATION_ARGS)
	LDA_TEST_SERVER=apache-cgi LDA_TEST_CGI_DIR=$(abspath $(CGI)) \
	    LDA_TEST_LDA=$(abspath $(B)/lda) \
	    python3 tests/integration/run.py $(INTEGRATION_ARGS)
