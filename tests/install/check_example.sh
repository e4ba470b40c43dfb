#!/usr/bin/env bash
# The installed package (CTest `example`, docs/library.md): `cmake --install` the build into a
# fresh prefix, build examples/ against it with find_package(Lethe) alone, run the example and
# check what it printed and wrote. Fails naming the step that broke.
#
#   check_example.sh BUILD_DIR OUTDIR
set -euo pipefail

fail() { echo "check_example: FAIL: $*" >&2; exit 1; }
[ $# -eq 2 ] || { echo "usage: check_example.sh BUILD_DIR OUTDIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
source=$(cd "$(dirname "$0")/../.." && pwd)
out=$2
rm -rf "$out" && mkdir -p "$out" && out=$(cd "$out" && pwd)
prefix=$out/prefix

cmake --install "$build" --prefix "$prefix" >"$out/install.log" 2>&1 ||
  fail "cmake --install (see $out/install.log)"
for f in lib/liblethe.so include/lethe/lethe.h include/lethe/unlearn/session.h \
         lib/cmake/Lethe/LetheConfig.cmake lib/cmake/Lethe/LetheTargets.cmake bin/lethe; do
  [ -e "$prefix/$f" ] || fail "the install has no $f"
done
# The installed headers stand alone: none includes a header the install does not carry.
missing=$(grep -rhoE '#include "lethe/[^"]+"' "$prefix/include/lethe" | sed 's/#include "\(.*\)"/\1/' |
          sort -u | while read -r h; do [ -f "$prefix/include/$h" ] || echo "$h"; done)
[ -z "$missing" ] || fail "installed headers include headers that are not installed: $missing"

# Only the installed prefix: the source tree's src/ and the build's generated/ are not on the path.
cmake -S "$source/examples" -B "$out/examples" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  >"$out/configure.log" 2>&1 || fail "configuring examples/ against the install (see $out/configure.log)"
cmake --build "$out/examples" -j "${JOBS:-2}" >"$out/build.log" 2>&1 ||
  fail "building examples/ against the install (see $out/build.log)"
if grep -q -- "-I$source/src" "$out/examples/compile_commands.json" 2>/dev/null; then
  fail "examples/ compiled with the source tree on its include path"
fi

LETHE_QUIET=1 "$out/examples/federate_and_forget" "$out/run" >"$out/example.log" 2>"$out/example.err" ||
  fail "federate_and_forget exited $? (see $out/example.err)"
cat "$out/example.log"
for line in "^trained example: test R@1" "^original " "^retrain " "^ease " "^ease: forget gap" \
            "'a red circle': cosine"; do
  grep -q "$line" "$out/example.log" || fail "the example printed no line matching '$line'"
done
[ -f "$out/run/run/summary.json" ] || fail "the example wrote no run/summary.json"
[ -f "$out/run/forget-client-0/audit.json" ] || fail "the example wrote no audit.json"
# A bad argument is refused with a message, not a crash.
if "$out/examples/federate_and_forget" 2>/dev/null; then fail "the example accepted no argument"; fi
echo "check_example: installed package, example built and ran"
