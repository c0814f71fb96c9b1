#!/usr/bin/env bash
# Builds the three jobd programs as self-contained binaries with `deno compile`:
# dist/jobd (worker.ts), dist/jobd-master (master.ts) and dist/jobctl (jobctl.ts).
# The flags (permissions, and V8 flags such as the worker's) come from scripts/permissions.ts,
# the one list of them.
# Run `bash scripts/compile.sh --help` for the options.

set -euo pipefail

readonly PROGRAMS="jobd jobd-master jobctl"
readonly TARGETS="x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin"

usage() {
  cat <<EOF
Usage: bash scripts/compile.sh [--target TARGET]... [--out-dir DIR] [--dry-run] [PROGRAM...]

Compiles jobd, jobd-master and jobctl (or only the PROGRAMs named) with
'deno compile' into self-contained binaries, each with the permission and V8 flags
that scripts/permissions.ts lists for it.

Options:
  --target TARGET   build for TARGET instead of this machine, into DIR/TARGET/
                    (same names); may be repeated. TARGET is one of
                    ${TARGETS// /$'\n'                    }
  --out-dir DIR     where the binaries go (default: dist, in the repository)
  --dry-run         print the 'deno compile' commands instead of running them
  -h, --help        show this help

Without --target the binaries are built for this machine into DIR/ and each is
run once with --version to check it.

The Deno runtime: 'deno compile' copies a runtime binary (denort) of its own
version and of the target into every binary, and downloads it on first use
(cached in DENO_DIR). Where it cannot be downloaded:
  - set DENORT_BIN to a denort binary of this Deno version for the target
    (from the denort-TARGET.zip of the Deno release), building one target at a
    time: DENORT_BIN=/opt/denort bash scripts/compile.sh
  - or put that denort-TARGET.zip into DENO_DIR/dl/release/vVERSION/, where
    'deno compile' looks before it downloads ('deno info' shows DENO_DIR).
EOF
}

die() {
  printf 'compile.sh: %s\n' "$*" >&2
  exit 1
}

usage_error() {
  printf 'compile.sh: %s\nTry '\''bash scripts/compile.sh --help'\''.\n' "$*" >&2
  exit 2
}

# Prints "ARCH-OS" (x86_64-linux, aarch64-darwin, ...) for an executable's
# header, or "unknown".
runtime_kind() {
  local hex
  hex=$(od -An -tx1 -N20 "$1" 2>/dev/null | tr -d ' \n') || hex=""
  case "${hex:0:8}" in
    7f454c46)
      case "${hex:36:4}" in
        3e00) echo x86_64-linux ;;
        b700) echo aarch64-linux ;;
        *) echo unknown ;;
      esac
      ;;
    cffaedfe)
      case "${hex:8:8}" in
        07000001) echo x86_64-darwin ;;
        0c000001) echo aarch64-darwin ;;
        *) echo unknown ;;
      esac
      ;;
    *) echo unknown ;;
  esac
}

# Prints "ARCH-OS" for a target triple.
target_kind() {
  case "$1" in
    *-linux-*) echo "${1%%-*}-linux" ;;
    *-apple-darwin) echo "${1%%-*}-darwin" ;;
    *) echo unknown ;;
  esac
}

# Whether the word $1 is one of the words in $2.
one_of() {
  local word
  for word in $2; do
    [[ "$word" == "$1" ]] && return 0
  done
  return 1
}

targets=()
programs=()
out_dir=""
dry_run=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --target)
      [[ $# -ge 2 ]] || usage_error "--target needs a value"
      targets+=("$2")
      shift 2
      ;;
    --target=*)
      targets+=("${1#--target=}")
      shift
      ;;
    --out-dir)
      [[ $# -ge 2 ]] || usage_error "--out-dir needs a value"
      out_dir=$2
      shift 2
      ;;
    --out-dir=*)
      out_dir=${1#--out-dir=}
      shift
      ;;
    --dry-run)
      dry_run=true
      shift
      ;;
    -*) usage_error "unknown option '$1'" ;;
    *)
      one_of "$1" "$PROGRAMS" || usage_error "unknown program '$1': expected one of ${PROGRAMS// /, }"
      programs+=("$1")
      shift
      ;;
  esac
done
[[ ${#programs[@]} -gt 0 ]] || read -r -a programs <<<"$PROGRAMS"
for target in ${targets[@]+"${targets[@]}"}; do
  one_of "$target" "$TARGETS" || usage_error "unknown target '$target': expected one of ${TARGETS// /, }"
done
[[ -n "$out_dir" ]] || out_dir=dist
[[ "$out_dir" == /* ]] || out_dir="$PWD/$out_dir"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v deno >/dev/null || die "'deno' is not on PATH: install Deno first"

read -r host_target version deno_version < <(
  deno eval 'import manifest from "./deno.json" with { type: "json" };
console.log(Deno.build.target, manifest.version, Deno.version.deno)'
) || true
[[ -n "${deno_version:-}" ]] || die "cannot read the version from deno.json"

if [[ -n "${DENORT_BIN:-}" ]]; then
  [[ -f "$DENORT_BIN" ]] ||
    die "DENORT_BIN is '$DENORT_BIN', which is not a file: point it at a denort binary of Deno $deno_version"
  [[ ${#targets[@]} -le 1 ]] ||
    die "DENORT_BIN holds the runtime of one target: build one --target at a time with it"
  wanted=${targets[0]:-$host_target}
  kind=$(runtime_kind "$DENORT_BIN")
  if [[ "$kind" != unknown && "$kind" != "$(target_kind "$wanted")" ]]; then
    die "DENORT_BIN '$DENORT_BIN' is built for $kind, not for $wanted: give the denort of that target"
  fi
fi

# One build: PROGRAM TARGET-or-empty.
build() {
  local program=$1 target=$2 entry flags dir output log
  local -a flag_list target_args=()
  flags=$(deno run scripts/permissions.ts "$program")
  read -r -a flag_list <<<"$flags"
  entry=$(deno eval "import { ENTRY_POINTS } from './scripts/permissions.ts';
console.log(ENTRY_POINTS['$program'])")
  dir=$out_dir
  if [[ -n "$target" ]]; then
    dir="$out_dir/$target"
    target_args=(--target "$target")
  fi
  output="$dir/$program"
  # No --include is needed: the programs read no file of the repository at run
  # time, and deno.json (the version, src/version.ts) is a static JSON import,
  # which deno compile embeds like any module.
  local -a command=(deno compile ${target_args[@]+"${target_args[@]}"} "${flag_list[@]}"
    --output "$output" "$entry")
  if $dry_run; then
    printf '%s\n' "${command[*]}"
    return
  fi
  mkdir -p "$dir"
  log=$(mktemp)
  printf 'Compiling %s (%s) to %s\n' "$program" "${target:-$host_target}" "$output"
  if ! NO_COLOR=1 "${command[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    if grep -qiE 'denort|base binary' "$log"; then
      rm -f "$log"
      if [[ -n "${DENORT_BIN:-}" ]]; then
        die "cannot use the Deno runtime in DENORT_BIN '$DENORT_BIN' (see the error above)"
      fi
      local t=${target:-$host_target}
      die "cannot get the Deno runtime (denort) for $t: its download failed. For an offline" \
        "build, set DENORT_BIN to the denort binary of Deno $deno_version for $t, or put" \
        "denort-$t.zip into DENO_DIR/dl/release/v$deno_version/ (see --help)"
    fi
    rm -f "$log"
    die "deno compile failed for $program (see the errors above)"
  fi
  rm -f "$log"
  if [[ -z "$target" ]]; then
    local printed
    printed=$("$output" --version 2>&1 || true)
    if [[ "$printed" != "$program $version" ]]; then
      local hint=""
      if [[ "$printed" == deno\ * ]]; then
        hint=": DENORT_BIN names the deno binary itself; it must name denort"
      elif [[ -n "${DENORT_BIN:-}" ]]; then
        hint=": is DENORT_BIN '$DENORT_BIN' the denort of Deno $deno_version?"
      fi
      rm -f "$output"
      die "$output --version printed '${printed%%$'\n'*}', not '$program $version'$hint"
    fi
  fi
}

if [[ ${#targets[@]} -eq 0 ]]; then
  for program in "${programs[@]}"; do build "$program" ""; done
else
  for target in "${targets[@]}"; do
    for program in "${programs[@]}"; do build "$program" "$target"; done
  done
fi
$dry_run || printf 'Done: %s\n' "$out_dir"
