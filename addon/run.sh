#!/bin/sh
# mcscope bootstrap: sh addon/run.sh CMD [ARGS...]
# Finds a Python >= 3.12, creates .venv in the repository root when missing, (re)installs the project
# with its test extra when pyproject.toml is newer than the install stamp, then runs .venv/bin/CMD.
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
root=$(CDPATH= cd -- "$here/.." && pwd -P)
venv="$root/.venv"
stamp="$venv/.mcscope-installed"

say() { printf 'mcscope: %s\n' "$*" >&2; }

# ok PYTHON [ENV=VALUE]: true when that interpreter really runs and is >= 3.12
ok() {
    "$@" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1
}

find_python() {
    for cand in python3.13 python3.12 python3; do
        if command -v "$cand" >/dev/null 2>&1 && ok "$cand"; then
            command -v "$cand"
            return 0
        fi
    done
    # pyenv shims fail unless the version is selected: ask pyenv for the real interpreters.
    pyroot=""
    if command -v pyenv >/dev/null 2>&1; then
        pyroot=$(pyenv root 2>/dev/null || true)
    fi
    # a pyenv shim on PATH (…/shims/python3.12) also tells where pyenv keeps its versions
    shimroot=""
    for cand in python3.12 python3.13 python3; do
        shim=$(command -v "$cand" 2>/dev/null || true)
        case "$shim" in */shims/*) shimroot=${shim%/shims/*}; break ;; esac
    done
    for dir in "$pyroot" "${PYENV_ROOT:-}" "$shimroot" "${HOME:-/root}/.pyenv"; do
        [ -n "$dir" ] && [ -d "$dir/versions" ] || continue
        for py in "$dir"/versions/3.13*/bin/python3 "$dir"/versions/3.12*/bin/python3 \
                  "$dir"/versions/3.1[4-9]*/bin/python3; do
            if [ -x "$py" ] && ok "$py"; then
                printf '%s\n' "$py"
                return 0
            fi
        done
    done
    return 1
}

found_versions() {
    seen=""
    for cand in python3.13 python3.12 python3 python; do
        v=$("$cand" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
        case " $seen " in *" $v "*) ;; *) seen="$seen $v" ;; esac
    done
    printf '%s' "${seen# }"
}

if [ $# -lt 1 ]; then
    say "usage: sh addon/run.sh CMD [ARGS...]   (e.g. sh addon/run.sh mcscope, sh addon/run.sh pytest)"
    exit 2
fi
cmd=$1
shift

if [ ! -x "$venv/bin/python" ] || ! ok "$venv/bin/python"; then
    if ! py=$(find_python); then
        found=$(found_versions)
        printf 'mcscope needs Python >= 3.12 (found only %s); install python3.12\n' "${found:-no python}" >&2
        exit 2
    fi
    say "creating $venv with $py"
    rm -rf "$venv"
    "$py" -m venv "$venv"
fi

if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
    say "installing mcscope and its test tools into .venv (first run takes a minute)..."
    log="$venv/.mcscope-install.log"
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q -e "$root[test]" >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        say "pip install failed (full log: $log)"
        exit 2
    fi
    touch "$stamp"
    say "installed"
fi

if [ ! -x "$venv/bin/$cmd" ]; then
    say "no command '$cmd' in $venv/bin (try: mcscope, pytest, ruff, python)"
    exit 2
fi
exec "$venv/bin/$cmd" "$@"
