#!/usr/bin/env bash
# The SDK as an app developer takes it, both ways docs/sdk.md describes:
#  1. installed: build sdk/ on its own, `cmake --install` it into a prefix, and
#     build examples/native-app against it with find_package(clickstream);
#  2. vendored: an app project that add_subdirectory()s sdk/ and links
#     clickstream::native.
# Both apps must build and print their --help. Everything happens in a
# temporary folder that is removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gen=(-G Ninja -DCMAKE_BUILD_TYPE=Release)
command -v ccache >/dev/null && gen+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

echo "== installed SDK + find_package"
cmake -S "$root/sdk" -B "$work/sdk-build" "${gen[@]}" -DCMAKE_INSTALL_PREFIX="$work/prefix" >"$work/log" 2>&1 ||
  { cat "$work/log"; exit 1; }
cmake --build "$work/sdk-build" -j "$(nproc)" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
cmake --install "$work/sdk-build" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
test -f "$work/prefix/include/clickstream/clickstream.h"
test -f "$work/prefix/include/clickstream/tracker.h"
ls "$work"/prefix/lib*/cmake/clickstream/clickstream-config.cmake >/dev/null
cmake -S "$root/examples/native-app" -B "$work/app-build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$work/prefix" \
  >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
cmake --build "$work/app-build" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
"$work/app-build/clickstream-native-app" --help >/dev/null

echo "== add_subdirectory(sdk)"
mkdir -p "$work/vendored"
cat >"$work/vendored/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(vendored_app LANGUAGES C CXX)
add_subdirectory("$root/sdk" clickstream-sdk)
add_executable(vendored_app "$root/examples/native-app/main.cpp")
target_compile_features(vendored_app PRIVATE cxx_std_20)
target_link_libraries(vendored_app PRIVATE clickstream::native)
CMAKE
cmake -S "$work/vendored" -B "$work/vendored-build" "${gen[@]}" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
cmake --build "$work/vendored-build" -j "$(nproc)" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
"$work/vendored-build/vendored_app" --help >/dev/null
echo "both ways build and run"
