#!/usr/bin/env bash
# `dedup index` of N synthetic articles (2 workers), alternating an older commit's code and this
# tree's, a new store each run; then cold `dedup query --id` / `--file` on the two stores.
#   benchmarks/side_by_side.sh REF [N] [ROUNDS]      e.g. benchmarks/side_by_side.sh 194c993 100000 3
# The older code runs from `git archive REF` with PYTHONPATH (the venv's editable install would
# otherwise answer for it); the numba cache of each tree stays in that tree.
set -euo pipefail
REF=${1:?usage: $0 REF [N] [ROUNDS]}; N=${2:-100000}; ROUNDS=${3:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd); PY=$HERE/.venv/bin/python
WORK=${WORK:-/tmp/dedup-side-by-side}; OLD=$WORK/old-$REF
mkdir -p "$WORK"
# `python -m` puts the working directory first on sys.path: run from $WORK, not from a tree.
cd "$WORK"
[ -d "$OLD" ] || { mkdir -p "$OLD" && git -C "$HERE" archive "$REF" | tar -x -C "$OLD"; }
[ -f "$WORK/corpus-$N.jsonl" ] || "$PY" "$HERE/benchmarks/synth.py" "$WORK/corpus-$N.jsonl" "$N"
tree() { [ "$1" = old ] && echo "$OLD" || echo "$HERE"; }
now() { date +%s.%N; }
echo "# $(date -u +%FT%TZ) N=$N rounds=$ROUNDS old=$REF new=$(git -C "$HERE" rev-parse --short HEAD) cores=$(nproc)"
for r in $(seq "$ROUNDS"); do
  for side in old new; do
    rm -rf "$WORK/store-$side"; s=$(now)
    cpu=$( { /usr/bin/time -f "%U %S %M" env PYTHONPATH="$(tree $side)" "$PY" -m dedup index --quiet --workers 2 \
             --store "$WORK/store-$side" "$WORK/corpus-$N.jsonl" >/dev/null; } 2>&1 | tail -1)
    echo "index $side round=$r bands=$("$PY" -c "import json,sqlite3,sys; print(json.loads(sqlite3.connect(sys.argv[1]).execute(\"select value from meta where key='params'\").fetchone()[0])['bands'])" "$WORK/store-$side/dedup.sqlite") wall_s=$(echo "$(now) - $s" | bc) user_sys_s_rss_kb=[$cpu] load=$(cut -d' ' -f1 /proc/loadavg)"
  done
done
"$PY" -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[len(open(sys.argv[1]).readlines())//2])['text'])" \
  "$WORK/corpus-$N.jsonl" > "$WORK/query.txt"
for r in $(seq 5); do
  for side in old new; do
    for how in "--id syn-$(printf %07d $((N / 3 + r)))" "--file $WORK/query.txt"; do
      s=$(now); PYTHONPATH="$(tree $side)" "$PY" -m dedup query --store "$WORK/store-$side" $how --top 10 >/dev/null
      echo "query $side ${how%% *} round=$r wall_s=$(echo "$(now) - $s" | bc)"
    done
  done
done
