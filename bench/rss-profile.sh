#!/usr/bin/env bash
# Where a cil4j process's resident memory goes: runs one cil command (through ./cil, so with
# the launcher's heap cap and tcmalloc) with the JVM's native memory tracking on, samples the
# resident set every 2 s, and at the highest sample records the Java heap (jcmd GC.heap_info)
# and the JVM's own native memory (jcmd VM.native_memory). What the JVM does not track is the
# engine's: PyTorch tensors (activations, gradients) and its allocator's caches.
#
#   bench/rss-profile.sh run --config configs/tin100-32-b50.json --out runs/rss
#   CIL4J_JAVA_OPTS=-Xmx6g bench/rss-profile.sh run ...      # other JVM options than the launcher's
#   CIL=/path/to/a/copy/of/cil bench/rss-profile.sh run ...   # another launcher (a copied build)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="$(mktemp -d)"
export CIL4J_EXTRA_JAVA_OPTS="${CIL4J_EXTRA_JAVA_OPTS:-} -XX:NativeMemoryTracking=summary"
"${CIL:-$here/cil}" "$@" > "$tag/log" 2>&1 &
launcher=$!
pid=""
max=0
while kill -0 "$launcher" 2>/dev/null; do
  # ./cil execs java, so the launcher's pid becomes the JVM's
  pid=$launcher
  rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  rss=${rss:-0}
  if [ "$rss" -gt "$max" ] && grep -q java "/proc/$pid/comm" 2>/dev/null; then
    max=$rss
    jcmd "$pid" GC.heap_info > "$tag/heap" 2>/dev/null || true
    jcmd "$pid" VM.native_memory summary > "$tag/nmt" 2>/dev/null || true
  fi
  sleep 2
done
wait "$launcher" || { echo "rss-profile: the command failed; its log:"; tail -20 "$tag/log"; exit 1; }
heap_committed=$(grep -o 'Java Heap (reserved=[0-9]*KB, committed=[0-9]*KB' "$tag/nmt" | grep -o 'committed=[0-9]*' | grep -o '[0-9]*' || echo 0)
heap_used=$(grep -o 'heap *total [0-9]*K, used [0-9]*K' "$tag/heap" | grep -o 'used [0-9]*' | grep -o '[0-9]*' || echo 0)
jvm_committed=$(grep -o '^Total: reserved=[0-9]*KB, committed=[0-9]*KB' "$tag/nmt" | grep -o 'committed=[0-9]*' | grep -o '[0-9]*' || echo 0)
echo "command:             cil $*"
echo "java options:        ${CIL4J_JAVA_OPTS:-(the launcher default)} $CIL4J_EXTRA_JAVA_OPTS"
echo "peak resident (MiB): $((max / 1024))   (sampled every 2 s)"
echo "at that sample, MiB: Java heap committed $((heap_committed / 1024)), of it in use $((heap_used / 1024));"
echo "                     all the JVM tracks (heap, GC, classes, threads, code) $((jvm_committed / 1024));"
echo "                     the rest, the engine's native memory, about $(((max - jvm_committed) / 1024))"
rm -rf "$tag"
