#!/bin/sh
# A `runway agent --launcher` for Tart on macOS (Apple Silicon): one fresh macOS (or Linux) VM per
# job, cloned from an image, deleted when the runner exits, when the job times out or when the
# agent stops.
#
#   runway agent --url https://runway.example --pool macos-arm64 --token-file /etc/runway/pool-token \
#     --launcher /opt/runway/launchers/tart.sh --slots 2 --runner-arg=--disableupdate
#
# Needs on the host: tart (brew install cirruslabs/cli/tart), version 2.22 or later for `tart exec`,
# and an image whose VM runs the Tart Guest Agent and holds an unconfigured Actions runner, such as
# ghcr.io/cirruslabs/macos-sequoia-xcode:latest (the default; set RUNWAY_TART_IMAGE), with the
# runner in RUNWAY_TART_RUNNER_DIR (default /Users/admin/actions-runner). Pull the image once
# beforehand (`tart pull`), or the first job waits for it. Apple's licence allows two macOS VMs at a
# time per host: keep --slots at 2 or below.
#
# The contract (docs/agent.md): the JIT config is in $ACTIONS_RUNNER_INPUT_JITCONFIG and in the file
# $RUNWAY_JIT_CONFIG_FILE, never on a command line; arguments are the agent's --runner-arg values;
# the exit code is the runner's; on SIGTERM the machine is destroyed before this script exits.
set -eu

image=${RUNWAY_TART_IMAGE:-ghcr.io/cirruslabs/macos-sequoia-xcode:latest}
runner_dir=${RUNWAY_TART_RUNNER_DIR:-/Users/admin/actions-runner}
vm=$RUNWAY_RUNNER_NAME
vm_pid=

# shellcheck disable=SC2317  # called by the traps below
destroy() {
  tart stop "$vm" >/dev/null 2>&1 || true
  if [ -n "$vm_pid" ]; then kill "$vm_pid" 2>/dev/null || true; fi
  tart delete "$vm" >/dev/null 2>&1 || true
}
trap destroy EXIT
trap 'destroy; exit 143' TERM INT

tart clone "$image" "$vm"
tart run --no-graphics "$vm" >/dev/null 2>&1 &
vm_pid=$!

# The guest agent answers once the VM has booted; give it two minutes.
tries=0
until tart exec "$vm" true >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ] || ! kill -0 "$vm_pid" 2>/dev/null; then
    echo "tart launcher: VM $vm did not boot" >&2
    exit 1
  fi
  sleep 2
done

# The config goes in on stdin, read into the runner's environment inside the VM: never in argv on
# the host or in the guest. "$@" are the --runner-arg values.
# The shell inside the machine expands this, not this one.
# shellcheck disable=SC2016
guest='ACTIONS_RUNNER_INPUT_JITCONFIG=$(cat) && export ACTIONS_RUNNER_INPUT_JITCONFIG && cd "$0" && exec ./run.sh "$@" </dev/null'
tart exec -i "$vm" /bin/sh -c "$guest" \
  "$runner_dir" "$@" <"$RUNWAY_JIT_CONFIG_FILE" &
runner=$!
code=0
wait "$runner" || code=$?
exit "$code"
