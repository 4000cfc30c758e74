# Real-browser test of the upload page (www/): headless Chromium driven by
# playwright-core (pinned in tests/browser/package-lock.json) against a
# server started with scripts/lda-server; compares with $(B)/lda's reports.
#   make browser              release build
#   make MODE=asan browser    the same against the ASan programs
.PHONY: browser
browser: $(B)/lda $(PROGRAMS)
	LDA_BIN=$(abspath $(B)/lda) LDA_CGI_DIR=$(abspath $(CGI)) sh tests/browser/run.sh
