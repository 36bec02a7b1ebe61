#!/bin/sh
# Builds the Halide baselines of the image pipelines (README "Benchmarks"):
#
#   Benchmarks/halide/build.sh THREADS
#
# makes a virtual environment with Halide 21 from PyPI (Benchmarks/.build/
# halide-venv, kept for later runs), AOT-compiles blur3x3 and harris with
# Halide's hand schedules, Mullapudi2016 and Adams2019 for this CPU and
# THREADS (generate.py), and links them with their entry points (entry.c)
# and one Halide runtime into Benchmarks/.build/halide/libhone_halide.so,
# which bench-suite and bench-check load. Nothing is rebuilt when the
# sources, THREADS and the CPU are those of the last build.
#
# It never fails a bench: without network (or pip, or a compiler) it writes
# the one-line reason to Benchmarks/.build/halide/unavailable.txt, which the
# benchmarks print when they skip the Halide contenders, and exits 0.
set -u
threads=${1:?usage: build.sh THREADS}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$here/.." && pwd)/.build
venv=$build/halide-venv
out=$build/halide
mkdir -p "$out"

unavailable() {
    echo "$1" > "$out/unavailable.txt"
    rm -f "$out/libhone_halide.so" "$out/built-for.txt"
    echo "Halide baselines skipped: $1"
    exit 0
}

if ! "$venv/bin/python" -c 'import halide' 2>/dev/null; then
    echo "Installing Halide 21 from PyPI into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" >/dev/null 2>&1 || unavailable "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install -q 'halide==21.*' >"$out/pip.log" 2>&1 ||
        unavailable "pip install halide==21.* failed (no network?): see $out/pip.log"
fi

key="$(cat "$here/pipelines.py" "$here/generate.py" "$here/entry.c" "$here/build.sh" | sha256sum | cut -c1-16)"
key="$key threads=$threads $("$venv/bin/python" -c 'import halide; print(halide.get_host_target())')"
if [ -f "$out/libhone_halide.so" ] && [ "$(cat "$out/built-for.txt" 2>/dev/null)" = "$key" ]; then
    echo "Halide baselines up to date ($out/libhone_halide.so)"
    exit 0
fi

rm -f "$out"/halide_*.o "$out"/halide_*.h "$out"/halide_*.schedule.h "$out/unavailable.txt"
"$venv/bin/python" -B "$here/generate.py" "$out" --threads "$threads" || unavailable "generate.py failed: see its output above"
include=$("$venv/bin/python" -c 'import halide, os; print(os.path.join(os.path.dirname(halide.__file__), "include"))')
cc -O2 -Wall -fPIC -shared -I"$out" -I"$include" "$here/entry.c" "$out"/halide_*.o -o "$out/libhone_halide.so" -lpthread -ldl -lm ||
    unavailable "linking libhone_halide.so failed: see the compiler's output above"
"$venv/bin/python" -c 'import importlib.metadata, halide, sys
print(importlib.metadata.version("halide"), "(PyPI), target", halide.get_host_target(), "with parallelism", sys.argv[1], "for the autoschedulers")' "$threads" > "$out/version.txt"
echo "$key" > "$out/built-for.txt"
echo "Halide baselines: $out/libhone_halide.so (schedules chosen: $out/halide_*.schedule.h)"
