# Source this file (". scripts/node22.sh") to get Node.js >= 22.18 on PATH (runs .ts files unflagged; Hardhat 3 needs 22.13).
# If the machine's node is older, it installs the `node@22` npm package (a Node binary shipped inside a
# registry package) into a cache folder once (again when the cached one is older), and puts it first on PATH
# for this shell.
_ra_node22_ok() {
  _ra_node="${1:-node}"
  command -v "$_ra_node" >/dev/null 2>&1 || return 1
  "$_ra_node" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=18)?0:1)'
}
if ! _ra_node22_ok; then
  _ra_node22_dir="${NODE22_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/node22}"
  if ! _ra_node22_ok "$_ra_node22_dir/node_modules/.bin/node"; then
    mkdir -p "$_ra_node22_dir"
    npm install --prefix "$_ra_node22_dir" --no-save --no-audit --no-fund node@22 >/dev/null 2>&1 \
      || echo "node22.sh: could not install node@22 from the npm registry" >&2
  fi
  export PATH="$_ra_node22_dir/node_modules/.bin:$PATH"
  hash -r 2>/dev/null
fi
unset -f _ra_node22_ok
unset _ra_node22_dir _ra_node
