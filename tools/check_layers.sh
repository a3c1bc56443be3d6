#!/usr/bin/env bash
# Fails when a server source includes a header from a layer above its own.
# The layers, lowest first (docs/architecture.md): a file may include
# headers of its own layer and of the layers before it, never after.
set -euo pipefail
cd "$(dirname "$0")/.."
layers=(core/base core/ds core/types core/commands core/script security net persist shards)

rank() {
    local i
    for i in "${!layers[@]}"; do
        if [[ $1 == "${layers[$i]}"/* ]]; then
            echo "$i"
            return
        fi
    done
    echo -1
}

bad=0
for dir in "${layers[@]}"; do
    for f in "$dir"/*.[ch]; do
        [[ -e $f ]] || continue
        own=$(rank "$f")
        while IFS= read -r line; do
            n=${line%%:*}
            inc=${line#*:}
            inc=${inc#*\"}
            inc=${inc%%\"*}
            r=$(rank "$inc")
            if ((r < 0)); then
                echo "$f:$n: include without a layer path: \"$inc\""
                bad=1
            elif ((r > own)); then
                echo "$f:$n: ${layers[$own]} includes ${layers[$r]} (\"$inc\"), a layer above it"
                bad=1
            fi
        done < <(grep -n '^#include "' "$f" || true)
    done
done
exit $bad
