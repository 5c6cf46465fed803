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
