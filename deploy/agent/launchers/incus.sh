#!/bin/sh
# A `runway agent --launcher` for Incus: one fresh ephemeral system container or VM per job
# (`incus launch --ephemeral`), gone when the runner exits, when the job times out or when the
# agent stops.
#
#   runway agent --url https://runway.example --pool linux-x64 --token-file /etc/runway/pool-token \
#     --launcher /opt/runway/launchers/incus.sh --slots 4 --runner-arg=--disableupdate
#
# Needs on the host: incus, with the agent's user in the incus-admin group, and an image with an
# unconfigured Actions runner in RUNWAY_INCUS_RUNNER_DIR (default /opt/actions-runner) owned by the
# user RUNWAY_INCUS_UID (default 1000; the runner refuses to run as root). Build it once from
# images:ubuntu/24.04 with the runner unpacked and `bin/installdependencies.sh` run, then
# `incus publish`; name it in RUNWAY_INCUS_IMAGE (default runway-runner). Set RUNWAY_INCUS_VM=1 for a
# VM (its own kernel: for untrusted code) instead of a container.
#
# The contract (docs/agent.md): the JIT config is in $ACTIONS_RUNNER_INPUT_JITCONFIG and in the file
# $RUNWAY_JIT_CONFIG_FILE, never on a command line; arguments are the agent's --runner-arg values;
# the exit code is the runner's; on SIGTERM the machine is destroyed before this script exits.
set -eu

image=${RUNWAY_INCUS_IMAGE:-runway-runner}
runner_dir=${RUNWAY_INCUS_RUNNER_DIR:-/opt/actions-runner}
uid=${RUNWAY_INCUS_UID:-1000}
# Incus names: letters, digits and dashes, at most 63 characters.
name=$(printf '%s' "$RUNWAY_RUNNER_NAME" | tr -c 'a-zA-Z0-9-' '-' | cut -c1-63)

# shellcheck disable=SC2317  # called by the traps below
destroy() {
  incus delete --force "$name" >/dev/null 2>&1 || true
}
trap destroy EXIT
trap 'destroy; exit 143' TERM INT

if [ "${RUNWAY_INCUS_VM:-0}" = 1 ]; then
  incus launch "$image" "$name" --ephemeral --vm
else
  incus launch "$image" "$name" --ephemeral
fi

# A VM's agent (and a container's init) needs a moment; give it two minutes.
tries=0
until incus exec "$name" -- true >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "incus launcher: $name did not come up" >&2
    exit 1
  fi
  sleep 2
done

# The config goes in on stdin (`incus exec --env` would put it in argv), read into the runner's
# environment inside the instance. "$@" are the --runner-arg values.
# The shell inside the machine expands this, not this one.
# shellcheck disable=SC2016
guest='ACTIONS_RUNNER_INPUT_JITCONFIG=$(cat) && export ACTIONS_RUNNER_INPUT_JITCONFIG && exec ./run.sh "$@" </dev/null'
incus exec "$name" --user "$uid" --group "$uid" --cwd "$runner_dir" -- /bin/sh -c "$guest" \
  sh "$@" <"$RUNWAY_JIT_CONFIG_FILE" &
runner=$!
code=0
wait "$runner" || code=$?
exit "$code"
