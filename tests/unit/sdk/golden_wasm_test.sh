#!/usr/bin/env bash
# The golden scenarios built as the beacon is built (em++ -Oz -flto
# -fno-exceptions -fno-rtti), run under Node: each batch must equal its file in
# docs/contracts/batch-v1/valid/ byte for byte, as the native build's must.
#   golden_wasm_test.sh <out-dir>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:-${TMPDIR:-/tmp}/clickstream-golden-wasm}
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
mkdir -p "$out"
em++ -std=c++20 -Oz -flto -fno-exceptions -fno-rtti -Wall -Wextra -Werror \
  -sFILESYSTEM=0 -sMALLOC=emmalloc -sENVIRONMENT=web,node -sMODULARIZE=1 \
  -I"$root/sdk/include" -I"$root/tests/support/include" \
  "$root"/sdk/src/core/*.cpp "$here/golden_batches.cpp" "$here/golden_wasm_main.cpp" \
  -o "$out/golden.js"
# Emscripten 3.1.6's loader would fetch() a file path under Node: pass the bytes.
node -e "
const fs = require('fs');
require('$out/golden.js')({ wasmBinary: fs.readFileSync('$out/golden.wasm') });
" >"$out/batches.tsv"
n=0 failed=0
while IFS=$'\x1f' read -r file problem body; do
  n=$((n + 1))
  want=$(cat "$root/docs/contracts/batch-v1/valid/$file")
  if [[ -n $problem ]]; then
    echo "FAIL $file: $problem"; failed=1
  elif [[ $body != "$want" ]]; then
    echo "FAIL $file: the wasm build encodes other bytes"
    diff <(printf '%s\n' "$want" | tr ',' '\n') <(printf '%s\n' "$body" | tr ',' '\n') | head -20
    failed=1
  else
    echo "ok   $file"
  fi
done <"$out/batches.tsv"
((n == 3)) || { echo "FAIL: expected 3 batches, got $n"; exit 1; }
exit $failed
