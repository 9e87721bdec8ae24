package dev.runway.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A launcher that keeps to the contract of docs/agent.md. Its "machine" is a directory under {@code
 * rec/machines} named after the runner, made before the runner starts and removed by its traps
 * (logged {@code destroyed}); inside it, {@link FakeRunner}'s script plays the runner with the
 * config read from the JIT file. It records the file's mode and path ({@code mode}) and refuses a
 * JIT config in its argv ({@code argv}).
 */
final class FakeLauncher {
  private FakeLauncher() {}

  private static final String SCRIPT =
      """
      #!/bin/sh
      REC=__REC__
      me=$(basename "$PWD")
      case "$*" in *"$ACTIONS_RUNNER_INPUT_JITCONFIG"*) echo "$me argv" >> "$REC/log"; exit 4;; esac
      [ "$(cat "$RUNWAY_JIT_CONFIG_FILE")" = "$ACTIONS_RUNNER_INPUT_JITCONFIG" ] || exit 5
      echo "$me mode $(stat -c %a "$RUNWAY_JIT_CONFIG_FILE") $RUNWAY_JIT_CONFIG_FILE" >> "$REC/log"
      machine="$REC/machines/$RUNWAY_RUNNER_NAME"
      mkdir -p "$machine"
      echo "$me machine $RUNWAY_RUNNER_NAME $RUNWAY_CLAIM_ID $RUNWAY_JOB_ID" >> "$REC/log"
      runner=
      destroy() {
        if [ -n "$runner" ]; then kill "$runner" 2>/dev/null; fi
        if [ -d "$machine" ]; then rm -rf "$machine"; echo "$me destroyed" >> "$REC/log"; fi
      }
      trap destroy EXIT
      trap 'destroy; exit 143' TERM INT
      ACTIONS_RUNNER_INPUT_JITCONFIG=$(cat "$RUNWAY_JIT_CONFIG_FILE") sh __RUNNER__/run.sh "$@" &
      runner=$!
      code=0
      wait "$runner" || code=$?
      runner=
      exit "$code"
      """;

  /** Writes the launcher for {@code runner} into {@code dir}; its path. */
  static Path write(Path dir, FakeRunner runner) throws IOException {
    Files.createDirectories(runner.rec.resolve("machines"));
    Path launcher = dir.resolve("launcher.sh");
    Files.writeString(
        launcher,
        SCRIPT
            .replace("__REC__", runner.rec.toAbsolutePath().toString())
            .replace("__RUNNER__", runner.runnerDir.toAbsolutePath().toString()));
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    return launcher;
  }
}
