#!/usr/bin/env bash
# Runs every test of the solution and ends with one line: "N passed, N failed, N skipped".
# Needs the .NET 10 SDK and Node.js with npm (the run files are read back by the JavaScript
# Arrow implementation as an independent check of the format). Installs libtorch for the torchsharp tests.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

npm install --prefix tests/arrow-js --no-audit --no-fund --loglevel=error >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
# MCP's reference tool server, which the react agent's MCP client is tested against over stdio.
npm install --prefix tests/mcp --no-audit --no-fund --loglevel=error >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
# The live suite's real llama.cpp server (Debian's llama-server in a chroot kept in ipw's cache): made while the
# build runs, once per machine. Where it cannot be made (exit 3: not root, no Debian mirror), the live tests are
# reported skipped, and the closing line says why.
live_log="$(mktemp)"
bash scripts/servers/llamacpp.sh provision >/dev/null 2>"$live_log" &
live_pid=$!
# -p:IpwLibTorch=cpu: libtorch (CPU, one 128 MB NuGet package) beside the torchsharp plugin, which its tests run on.
dotnet build Ipw.sln -c Release -nologo -v quiet "-clp:ErrorsOnly;NoSummary" -p:IpwLibTorch=cpu || { echo "0 passed, 1 failed"; exit 1; }

live_skip=""
wait "$live_pid"
case $? in
  0) ;;
  3) live_skip="$(tail -1 "$live_log")"; export IPW_LIVE_LLAMACPP_SKIP="$live_skip" ;;
  *) cat "$live_log" >&2; echo "0 passed, 1 failed"; exit 1 ;;
esac
rm -f "$live_log"

log="$(mktemp)"
# One test assembly at a time (-m:1): the timing tests compare against injected delays, and two loaded
# assemblies on a 2-core machine would measure the scheduler instead.
dotnet test Ipw.sln -c Release --no-build -nologo -m:1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Sum the per-assembly lines: "Passed!  - Failed: 0, Passed: 22, Skipped: 0, Total: 22, ...".
read -r passed failed skipped < <(grep -E '^(Passed|Failed)! +- Failed:' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
assemblies=$(grep -cE '^(Passed|Failed)! +- Failed:' "$log")
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi # a test host that crashed reports no line

# Packaging (the tool package, scripts/publish.sh, the plugin SDK and its template): dotnet pack, build and install,
# timed by nothing, so it runs beside the fuzzing and the format check rather than among the timing-sensitive suites.
pkg_log="$(mktemp)"
dotnet test tests/Ipw.Packaging.Tests -c Release --no-build -nologo -p:IpwPackagingTests=true >"$pkg_log" 2>&1 &
pkg_pid=$!
# Coverage-guided fuzzing (SharpFuzz + AFL++): each target's kept corpus and past crashes replayed, then a short
# bounded run of each (longer campaigns: scripts/fuzz.sh --seconds 600). One test per target.
if command -v afl-fuzz >/dev/null 2>&1; then
  fuzz_log="$(mktemp)"
  bash scripts/fuzz.sh --seconds "${IPW_FUZZ_SECONDS:-4}" | tee "$fuzz_log"
  read -r fp ff < <(tail -1 "$fuzz_log" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
  rm -f "$fuzz_log"
  if [[ "$fp" =~ ^[0-9]+$ && "$ff" =~ ^[0-9]+$ ]]; then passed=$((passed + fp)); failed=$((failed + ff)); else failed=$((failed + 1)); fi
  [ "${ff:-1}" = "0" ] || status=1
else
  skipped=$((skipped + 1)); echo "fuzzing: skipped (afl-fuzz not installed; Debian: apt-get install afl++)"
fi

# Formatting is checked too (.editorconfig), counted as one more test.
if dotnet format Ipw.sln --verify-no-changes --no-restore >/dev/null 2>&1; then
  passed=$((passed + 1)); echo "format check: passed"
else
  failed=$((failed + 1)); status=1; echo "format check: FAILED (run 'dotnet format Ipw.sln' to fix)"
fi

wait "$pkg_pid"
pkg_status=$?
cat "$pkg_log"
read -r pp pf ps < <(grep -E '^(Passed|Failed)! +- Failed:' "$pkg_log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
rm -f "$pkg_log"
passed=$((passed + pp)); failed=$((failed + pf)); skipped=$((skipped + ps)); assemblies=$((assemblies + 1))
if [ "$pkg_status" -ne 0 ]; then status=1; [ "$pf" -gt 0 ] || failed=$((failed + 1)); fi

echo "test assemblies: $assemblies"
if [ -n "$live_skip" ]; then
  echo "$passed passed, $failed failed, $skipped skipped (the live llama-server suite: ${live_skip#llamacpp.sh: })"
else
  echo "$passed passed, $failed failed, $skipped skipped"
fi
exit "$status"
