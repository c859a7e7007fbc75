#!/usr/bin/env bash
# The energy-monitor self-test before a long run: which telemetry this machine can collect.
# Prints live readings and a verdict per backend; exits 1 when no backend measures energy.
#   scripts/test_energy_monitor.sh [SECONDS] [INTERVAL]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$("$root/scripts/ipw" energy test --duration "${1:-10}" --interval "${2:-2.0}")" || exit $?
echo "$out"
# A backend measures energy when its "works" verdict lists energy among the kinds it read.
if echo "$out" | sed -n '/^verdicts:/,$p' | grep -E '^\s+\S+\s+works: [0-9]+ of [0-9]+ metrics read \([^;)]*energy' >/dev/null; then
  echo "energy: measured on this machine"
else
  echo "energy: no backend measures energy here; runs will record it as missing, with the reasons above"
  exit 1
fi
