#!/usr/bin/env bash
# Install the Debian packages formgen needs (LibreOffice Writer, and Calc to check rosters;
# fontconfig and the fonts, poppler, Python venv; Node.js and npm for the tests that check
# digital credentials with an independent verifier; the PostgreSQL server and HAProxy for
# the tests of a register shared by several hosts). As root it installs what is missing;
# otherwise it says what to install.
# The fonts are the packages of formgen/fonts.toml, the one list of them (its lines
# `package = "…"`).
set -eu
font_list="$(dirname "$0")/../formgen/fonts.toml"
mapfile -t font_packages < <(sed -n 's/^package *= *"\([^"]*\)".*/\1/p' "$font_list" | sort -u)
if [ ${#font_packages[@]} -eq 0 ]; then
  echo "no font packages found in $font_list" >&2
  exit 1
fi
packages=(python3-venv python3-pip libreoffice-writer-nogui libreoffice-calc-nogui python3-uno fontconfig "${font_packages[@]}" poppler-utils libzbar0 nodejs postgresql haproxy)
# npm comes with some builds of nodejs; Debian's nodejs has it as a package of its own.
command -v npm >/dev/null || packages+=(npm)
if [ "${WITH_BROWSER:-0}" = 1 ]; then packages+=(chromium); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "formgen needs: ${missing[*]} (Debian package names); install them and run again." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "formgen needs these Debian packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
