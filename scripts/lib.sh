# Shared by scripts/run, scripts/test, scripts/check and scripts/bench. Sourced, not run.
# Installs what the project needs on a fresh Debian machine: uv (from PyPI through pip)
# and Debian packages through apt-get (as root, or with sudo when it is there).

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.local/bin:$PATH"
export UV_LINK_MODE=copy

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

ensure_uv() {
  command -v uv >/dev/null 2>&1 && return 0
  say "installing uv (Python package manager) from PyPI"
  command -v python3 >/dev/null 2>&1 || die "python3 is missing: install Python 3.11 or newer"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3-pip python3-venv
  fi
  python3 -m pip install --user --quiet uv 2>/dev/null \
    || python3 -m pip install --user --quiet --break-system-packages uv \
    || die "could not install uv with pip; install it by hand: python3 -m pip install --user uv"
  command -v uv >/dev/null 2>&1 || die "uv was installed but is not on PATH (looked in ~/.local/bin)"
}

_apt_updated=""
apt_install() {
  # apt_install PKG...: install the Debian packages that are not installed yet.
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      say "missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
      return 1
    fi
  fi
  say "installing Debian packages: ${missing[*]}"
  if [ -z "$_apt_updated" ]; then
    $sudo apt-get update -qq || return 1
    _apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { say "apt-get could not install: ${missing[*]}"; return 1; }
}

sync_python() {
  ensure_uv
  (cd "$REPO" && uv sync --frozen --quiet "$@") || die "uv sync failed"
}

# ensure_csaf_validator: secvisogram's CSAF validator (Node.js, from the npm registry) in
# tools/csaf-validator, which publishing an advisory needs. Installs Node.js and npm from
# Debian when npm is missing (a Node.js from elsewhere brings its own npm and must not be
# mixed with Debian's), then `npm ci` unless the installed tree is newer than the lock file.
# Returns 1 when it cannot.
ensure_csaf_validator() {
  local dir="$REPO/tools/csaf-validator"
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm || return 1
  fi
  if [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    return 0
  fi
  say "installing the CSAF validator (npm registry)"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_pg [PORT]: a throwaway PostgreSQL server on 127.0.0.1 (fsync off: for tests and
# benchmarks only), stopped and deleted when the calling script exits. Sets PG_PORT and PG_URL
# (its maintenance database). With no PORT a free one is picked, and picked again if another
# process takes it first: the machine is shared, so a fixed port is a coin toss. An explicit
# PORT that is taken is an error that says so.
start_pg() {
  local wanted="${1:-}" attempt port
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
  PG_DIR="$(mktemp -d /var/tmp/dnscc-pg.XXXXXX)"
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PG_DIR"   # initdb refuses to run as root
    as_pg=(runuser -u postgres --)
  fi
  trap stop_pg EXIT
  "${as_pg[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null \
    || die "initdb failed in $PG_DIR"
  for attempt in 1 2 3 4 5; do
    port="${wanted:-$(free_port)}"
    say "starting PostgreSQL on 127.0.0.1:$port"
    rm -f "$PG_DIR/log"   # pg_ctl (as postgres) writes it afresh
    if "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o \
      "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null; then
      PG_PORT="$port"
      PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
      return 0
    fi
    if [ -z "$wanted" ] && grep -q "Address already in use" "$PG_DIR/log"; then
      say "port $port was taken meanwhile; trying another (attempt $attempt of 5)"
      continue
    fi
    cat "$PG_DIR/log" >&2
    if grep -q "Address already in use" "$PG_DIR/log"; then
      die "PostgreSQL could not listen on 127.0.0.1:$port: another process uses that port (leave the port unset to pick a free one)"
    fi
    die "PostgreSQL did not start"
  done
  cat "$PG_DIR/log" >&2
  die "PostgreSQL did not start: every port tried was taken"
}

stop_pg() {
  [ -n "${PG_DIR:-}" ] || return 0
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
