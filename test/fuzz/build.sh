#!/usr/bin/env bash
# Build the libFuzzer targets test/fuzz/fuzz_*.c with ASan and UBSan.
# Each target names the src/ files it links in a "SOURCES:" comment line.
# Output: test/fuzz/bin/<target>.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$here/bin"
CC=${FUZZ_CC:-clang}
FLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer -Wall -Wextra -Werror -I"$root/src")
for t in "${@:-$here/fuzz_*.c}"; do
	for target in $t; do
		name=$(basename "$target" .c)
		sources=$(sed -n 's/^ \* SOURCES: //p' "$target" | head -n 1)
		srcs=()
		for s in $sources; do srcs+=("$root/$s"); done
		"$CC" "${FLAGS[@]}" "$target" "${srcs[@]}" -o "$here/bin/$name"
	done
done
