#!/bin/sh
# A `runway agent --launcher` for Docker or Podman: one fresh container per job, removed when the
# runner exits (`run --rm`), when the job times out or when the agent stops.
#
#   runway agent --url https://runway.example --pool linux-x64 --token-file /etc/runway/pool-token \
#     --launcher /opt/runway/launchers/docker.sh --slots 4 --runner-arg=--disableupdate
#
# Needs on the host: docker (or podman, with RUNWAY_ENGINE=podman) usable by the agent's user, and
# an image with an unconfigured Actions runner whose working directory holds run.sh, such as
# ghcr.io/actions/actions-runner (the default; set RUNWAY_RUNNER_IMAGE to your own). Nothing else:
# no runner directory on the host. A container is not a VM: the job shares the host's kernel. Use
# the Tart or Incus launcher (or a VM runtime such as Kata) for untrusted code.
#
# The contract (docs/agent.md): the JIT config is in $ACTIONS_RUNNER_INPUT_JITCONFIG and in the file
# $RUNWAY_JIT_CONFIG_FILE, never on a command line; arguments are the agent's --runner-arg values;
# the exit code is the runner's; on SIGTERM the machine is destroyed before this script exits.
set -eu

engine=${RUNWAY_ENGINE:-docker}
image=${RUNWAY_RUNNER_IMAGE:-ghcr.io/actions/actions-runner:latest}
# Named after the runner, so a container left by a killed launcher is easy to find and remove.
name=$RUNWAY_RUNNER_NAME

# shellcheck disable=SC2317  # called by the traps below
destroy() {
  "$engine" rm --force "$name" >/dev/null 2>&1 || true
}
trap destroy EXIT
trap 'destroy; exit 143' TERM INT

# `-e NAME` without a value copies the variable from this environment: the config never appears in
# argv (ps) or in the engine's command line. --init reaps the job's processes inside the container.
"$engine" run --rm --init --name "$name" \
  --label "dev.runway.claim=$RUNWAY_CLAIM_ID" \
  -e ACTIONS_RUNNER_INPUT_JITCONFIG \
  "$image" ./run.sh "$@" &
runner=$!
# `wait` (not a foreground command) so that SIGTERM runs the trap at once.
code=0
wait "$runner" || code=$?
exit "$code"
