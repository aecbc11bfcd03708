#!/bin/sh
# Sleeps and wall-clock assertions in the deterministic tests (test/unit, test/integration, test/e2e; sleeps in
# test/helpers too), at a git revision (default HEAD): the figures of issue 21. Usage: scripts/test-timing-audit.sh [REV]
REV=${1:-HEAD}
SLEEP='setTimeout\(|\bsleep\(|await delay\('
WALL='expect\([^;]*(performance\.now\(\)|Date\.now\(\))|expect\((elapsed|took|tookMs|wallMs|stopMs|ms|elapsedS)\)\.toBe(Less|Greater)'
sleeps=$(git grep -hE "$SLEEP" "$REV" -- test/unit test/integration test/e2e test/helpers | grep -cvE '^\s*(//|\*)')
wall=$(git grep -hE "$WALL" "$REV" -- test/unit test/integration test/e2e | wc -l)
guarded=$(git grep -hE "skipIfBusy\(" "$REV" -- test/unit test/integration test/e2e | wc -l)
echo "$REV: $sleeps setTimeout/sleep call sites, $wall wall-clock assertions ($guarded time bars behind skipIfBusy)"
