# install.mk: make install / make uninstall (README, "Deploying").
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [LDA_INSTALL_VAR=/var/lib/lda]
#   make uninstall [PREFIX=...] [DESTDIR=...]
#
# Installs PREFIX/bin/lda, lda-server, lda-backend and lda-detect, and
# PREFIX/share/lda: the four programs (cgi-bin/), the page (www/), lighttpd's
# error pages (errors/), lighttpd.conf and apache.conf for lda-server (and
# scripts/lighttpd-routes.sh, which lighttpd.conf runs), the program list
# (programs: lda-server reads it there instead of src/), and deploy/: the
# snippets for an existing server (lda.conf to include from lighttpd,
# lda-apache.conf to Include from Apache) and htaccess for shared hosting,
# their paths filled in. The installed tree runs without the checkout.

PREFIX          ?= /usr/local
DESTDIR         ?=
LDA_INSTALL_VAR ?= /var/lib/lda
LDA_SHARE       := $(PREFIX)/share/lda
LDA_DEPLOY_SED  := sed -e 's|@SHARE@|$(LDA_SHARE)|g' -e 's|@VAR@|$(LDA_INSTALL_VAR)|g'

.PHONY: install uninstall
install: $(B)/lda $(PROGRAMS)
	install -d '$(DESTDIR)$(PREFIX)/bin' '$(DESTDIR)$(LDA_SHARE)/cgi-bin' \
	    '$(DESTDIR)$(LDA_SHARE)/www' '$(DESTDIR)$(LDA_SHARE)/errors' \
	    '$(DESTDIR)$(LDA_SHARE)/deploy' '$(DESTDIR)$(LDA_SHARE)/scripts'
	install -m 755 $(B)/lda '$(DESTDIR)$(PREFIX)/bin/lda'
	install -m 755 scripts/lda-server '$(DESTDIR)$(PREFIX)/bin/lda-server'
	install -m 755 scripts/lda-backend '$(DESTDIR)$(PREFIX)/bin/lda-backend'
	install -m 755 scripts/lda-detect '$(DESTDIR)$(PREFIX)/bin/lda-detect'
	install -m 755 $(PROGRAMS) '$(DESTDIR)$(LDA_SHARE)/cgi-bin/'
	install -m 644 www/* '$(DESTDIR)$(LDA_SHARE)/www/'
	install -m 644 errors/* '$(DESTDIR)$(LDA_SHARE)/errors/'
	install -m 644 lighttpd.conf apache.conf '$(DESTDIR)$(LDA_SHARE)/'
	install -m 644 scripts/lighttpd-routes.sh '$(DESTDIR)$(LDA_SHARE)/scripts/'
	printf '%s\n' $(PROGRAM_NAMES) > '$(DESTDIR)$(LDA_SHARE)/programs'
	$(LDA_DEPLOY_SED) deploy/lighttpd-include.conf.in \
	    > '$(DESTDIR)$(LDA_SHARE)/deploy/lda.conf'
	$(LDA_DEPLOY_SED) deploy/apache-include.conf.in \
	    > '$(DESTDIR)$(LDA_SHARE)/deploy/lda-apache.conf'
	$(LDA_DEPLOY_SED) deploy/htaccess.in > '$(DESTDIR)$(LDA_SHARE)/deploy/htaccess'

uninstall:
	rm -f '$(DESTDIR)$(PREFIX)/bin/lda' '$(DESTDIR)$(PREFIX)/bin/lda-server' \
	    '$(DESTDIR)$(PREFIX)/bin/lda-backend' '$(DESTDIR)$(PREFIX)/bin/lda-detect'
	rm -rf '$(DESTDIR)$(LDA_SHARE)'
