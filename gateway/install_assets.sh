#!/bin/sh
# Install the gateway's third-party browser assets from npm and copy the files the
# pages use into gateway/static/vendor/ (gitignored). Run from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if ! command -v npm >/dev/null 2>&1; then
  echo "install_assets: npm is not installed; the API docs page will list operations without Swagger UI" >&2
  exit 0
fi
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --silent
else
  npm install --no-package-lock --no-audit --no-fund --silent
fi
dest="$here/static/vendor/swagger-ui"
mkdir -p "$dest"
for file in swagger-ui-bundle.js swagger-ui.css LICENSE; do
  if [ -f "node_modules/swagger-ui-dist/$file" ]; then
    cp "node_modules/swagger-ui-dist/$file" "$dest/$file"
  fi
done
test -f "$dest/swagger-ui-bundle.js" && test -f "$dest/swagger-ui.css"
echo "install_assets: Swagger UI installed into static/vendor/swagger-ui"
