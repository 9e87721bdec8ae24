#!/usr/bin/env bash
# What a fresh runner directory per job costs (issue 20 item 3): the agent copies --runner-dir into
# each job's directory with `cp --reflink=auto -a`. This builds a synthetic 200 MB runner directory
# shaped like actions-runner 2.32x (about 1,400 files: a few large node/externals binaries, many
# small .dll files), then times N copies, and hard links (the old way) for comparison, and removes
# everything it made.
#
#   bench/agent-copy.sh [WORKDIR] [N]     WORKDIR on the file system of --work-root (default /tmp)
set -euo pipefail
base=${1:-/tmp}
n=${2:-5}
root=$(mktemp -d "$base/runway-agent-copy.XXXXXX")
trap 'rm -rf "$root"' EXIT
t="$root/actions-runner"
mkdir -p "$t/bin" "$t/externals/node20/bin" "$t/externals/node16/bin"
# 2 x 90 MB of node binaries, 1,400 x 14 KB of .dll files: 200 MB in all.
head -c 94371840 /dev/urandom > "$t/externals/node20/bin/node"
head -c 94371840 /dev/urandom > "$t/externals/node16/bin/node"
for i in $(seq 1 1400); do head -c 14336 /dev/urandom > "$t/bin/lib$i.dll"; done
printf '#!/bin/sh\necho run\n' > "$t/run.sh"; chmod +x "$t/run.sh"
sync
echo "template: $(du -sh "$t" | cut -f1), $(find "$t" -type f | wc -l) files; fs $(df -T "$root" | awk 'NR==2{print $2}')"
echo "load: $(uptime)"
time_it() {
  local what=$1; shift
  local start end total=0
  for i in $(seq 1 "$n"); do
    rm -rf "$root/job"
    start=$(date +%s%N)
    "$@" "$root/job"
    end=$(date +%s%N)
    total=$((total + (end - start) / 1000000))
  done
  echo "$what: mean $((total / n)) ms over $n"
}
time_it "cp --reflink=auto -a (now)" sh -c 'cp --reflink=auto -a "$0/." "$1"' "$t"
time_it "cp -al hard links (before)" sh -c 'cp -al "$0/." "$1"' "$t"
rm -rf "$root/job"
start=$(date +%s%N); cp --reflink=auto -a "$t/." "$root/job"; sync; end=$(date +%s%N)
echo "one copy including sync to disk: $(((end - start) / 1000000)) ms"
start=$(date +%s%N); rm -rf "$root/job"; end=$(date +%s%N)
echo "removing a job directory: $(((end - start) / 1000000)) ms"
