#!/bin/sh
# Install the Debian packages this project needs to build, run and test.
# Idempotent: asks apt only when something is missing, and is silent when
# everything is already installed. Set LDA_SKIP_DEPS=1 to skip entirely.
set -eu
[ "${LDA_SKIP_DEPS:-0}" = 1 ] && exit 0

PKGS="build-essential pkg-config clang libclang-rt-14-dev lighttpd
libfcgi-dev libjansson-dev libssl-dev libcurl4-openssl-dev libcunit1-dev
curl python3 chromium clang-format cppcheck apache2 libapache2-mod-fcgid
prometheus"
PKGS="$PKGS zlib1g-dev"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
# Node.js and npm drive the browser test; a machine may carry them from
# another packaging (npm is bundled there), so ask for them only by command.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Installing apache2 must not start the system's Apache (the tests run
# private instances): without a policy-rc.d, one that refuses starts is
# put in place for the install and removed afterwards.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    policy=1
fi
trap '[ -z "$policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
