#!/usr/bin/env bash
# Set up guidegen on a fresh Debian or Ubuntu machine: system libraries, a virtual environment
# in .venv, and the package itself.
#
#   ./install.sh        what building guides needs (Pango for WeasyPrint, HarfBuzz subsetting)
#   ./install.sh test   also the test tools, Chromium (browser tests), poppler (PDF pages) and
#                       Dask distributed (guidegen build --cluster, the extra guidegen[cluster])
set -euo pipefail
cd "$(dirname "$0")"

packages=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
extras=""
if [ "${1:-}" = "test" ]; then
  # Chromium: browser tests; poppler-utils: PDF pages as images; a Java runtime and npm: the
  # W3C Nu HTML Checker (vnu.jar, from the npm registry's vnu-jar package).
  packages+=(chromium poppler-utils)
  command -v java >/dev/null || packages+=(default-jre-headless)
  command -v npm >/dev/null || packages+=(npm)
  extras="[test,cluster]"
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "guidegen needs Python 3.11 or newer")'
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
if [ -n "$extras" ] && [ ! -f .venv/share/vnu/vnu.jar ]; then
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent vnu-jar@26.9.27 >/dev/null && tar xzf vnu-jar-26.9.27.tgz)
  mkdir -p .venv/share/vnu && cp "$work/package/build/dist/vnu.jar" .venv/share/vnu/vnu.jar
  rm -rf "$work"
fi
echo "guidegen is installed in .venv (run .venv/bin/guidegen --help)"
