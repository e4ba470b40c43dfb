#!/usr/bin/env bash
# Browser check of report.html (CTest label `browser`): opens the page in headless Chromium and
# fails unless every chart rendered, the page flagged no error, the console stayed silent and a
# screenshot could be taken.
#
#   check_report.sh OUTDIR               render tests/browser/sample_audit.json with
#                                        $RENDER_SAMPLE (the render_sample program) and expect
#                                        all six charts
#   check_report.sh OUTDIR REPORT_HTML   check an existing report: every chart canvas in it must
#                                        render
#
# Writes OUTDIR/report.html (sample only), dom.html, chromium.log and report.png.
# Environment: CHROMIUM (default /usr/bin/chromium), RENDER_SAMPLE.
set -euo pipefail

fail() { echo "check_report: FAIL: $*" >&2; exit 1; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: check_report.sh OUTDIR [REPORT_HTML]" >&2
  exit 2
fi

out=$1
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || fail "no Chromium at $chromium: run scripts/setup (Debian package chromium)"
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ $# -eq 2 ]; then
  html=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
  [ -f "$html" ] || fail "no report at $2"
  expected=$(grep -o 'id="chart-[a-z_-]*"' "$html" | sed 's/id="chart-\(.*\)"/\1/' | sort -u || true)
else
  if [ -z "${RENDER_SAMPLE:-}" ] || [ ! -x "$RENDER_SAMPLE" ]; then
    fail "RENDER_SAMPLE must name the render_sample program (got '${RENDER_SAMPLE:-}')"
  fi
  html=$out/report.html
  "$RENDER_SAMPLE" "$here/sample_audit.json" "$html" || fail "render_sample could not write $html"
  expected="attacks cost gaps reanchoring recall training"
fi
n_expected=$(wc -w <<<"$expected")
[ "$n_expected" -gt 0 ] || fail "$html has no chart canvas to check"

# Offline by construction: no absolute web address may be loaded from the file.
if grep -q -e 'src="http' -e 'href="http' "$html"; then
  fail "$html refers to a web address: $(grep -o -e 'src="http[^"]*' -e 'href="http[^"]*' "$html" | head -3)"
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# No first-run, sync, component updates or background networking: the browser itself stays
# offline. The virtual time budget lets every script and layout finish before the dump.
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile" --virtual-time-budget=5000 --hide-scrollbars)

timeout 120 "$chromium" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$html" \
  >"$out/dom.html" 2>"$out/chromium.log" || fail "Chromium failed to load $html (see $out/chromium.log)"

# This Chromium logs every console message (log, warn, error, uncaught exception) as
# "INFO:CONSOLE" without its level; the report writes nothing to the console, so any line is
# a failure (Chart.js reports its own problems there, the Content-Security-Policy its blocks).
if grep -q ':CONSOLE' "$out/chromium.log"; then
  fail "console messages from the page:
$(grep ':CONSOLE' "$out/chromium.log" | head -10)"
fi
body=$(grep -o '<body[^>]*>' "$out/dom.html" | head -1)
[ -n "$body" ] || fail "no <body> in the DOM Chromium dumped ($out/dom.html)"
case "$body" in *data-error=*) fail "the page reported an error: $body" ;; esac
case "$body" in
  *"data-charts=\"$n_expected\""*) ;;
  *) fail "expected data-charts=\"$n_expected\" on <body>, got: $body" ;;
esac
for name in $expected; do
  grep -q "<canvas id=\"chart-$name\"[^>]*style=\"[^\"]*width" "$out/dom.html" ||
    fail "chart-$name: no canvas sized by Chart.js in the DOM"
done

rm -f "$out/report.png"
timeout 120 "$chromium" "${flags[@]}" --window-size=1280,4000 --screenshot="$out/report.png" \
  "file://$html" >/dev/null 2>>"$out/chromium.log" || fail "Chromium could not take a screenshot"
[ -f "$out/report.png" ] || fail "no screenshot at $out/report.png"
size=$(stat -c %s "$out/report.png")
# A blank 1280x4000 page compresses to a few kB; rendered charts and tables take far more.
[ "$size" -gt 40000 ] || fail "screenshot $out/report.png is only $size bytes: nothing rendered?"
[ "$(head -c 8 "$out/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  fail "$out/report.png is not a PNG"

echo "check_report: OK: $n_expected charts rendered, console silent, screenshot $out/report.png ($size bytes)"
