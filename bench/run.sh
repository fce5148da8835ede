#!/usr/bin/env bash
# Runs velad's benchmarks against the built binary ($VELAD_BINARY) and records the figures in
# docs/benchmarks.md (section "Control plane lifecycle") and bench/results/latest.json.
# QUICK=1 runs each measurement once with a short idle time.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${VELAD_BINARY:?set VELAD_BINARY to the velad binary (make bench does)}"
runs=5 idle=60s
if [ -n "${QUICK:-}" ]; then runs=1 idle=10s; fi
mkdir -p bench/results
table=$(go run ./bench/controlplane -velad "$VELAD_BINARY" -runs "$runs" -idle "$idle" -json bench/results/latest.json)
machine="$(lscpu | sed -n 's/^Model name:\s*//p' | head -1), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r), $(go version | awk '{print $3}'), $(date -u +%Y-%m-%d)"
section="## Control plane lifecycle (issue 3)

Machine: ${machine}. Median of ${runs} runs (idle RSS: one cluster and one member after ${idle}).

${table}
"
doc=docs/benchmarks.md
mkdir -p docs
[ -f "$doc" ] || printf '# velad benchmarks\n\nFigures recorded by `make bench`; compare ratios measured in one run, not absolute times.\n' >"$doc"
python3 - "$doc" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pattern = re.compile(r"## Control plane lifecycle \(issue 3\)\n.*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda m: section.rstrip("\n"), text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
echo "$table"
