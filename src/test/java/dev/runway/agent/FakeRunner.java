package dev.runway.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A runner directory whose {@code run.sh} stands in for the Actions runner. It checks that the JIT
 * config is in its environment and not on its command line, prints the config (the agent must
 * redact it), records itself in {@code rec/log}, and then, by the files in {@code rec}: fails once
 * ({@code fail-once}) or always ({@code fail-always}, exit code 2 with the config on stderr), hangs
 * with a child process ({@code hang}), or says it runs a job and waits until the test releases it
 * ({@code release-claim-<id>}). With {@code tamper}, it first saves the {@code run.sh} and {@code
 * bin/} file it was given to {@code rec}, then appends to both.
 */
final class FakeRunner {
  final Path runnerDir;
  final Path rec;

  FakeRunner(Path root) throws IOException {
    runnerDir = Files.createDirectories(root.resolve("actions-runner"));
    rec = Files.createDirectories(root.resolve("rec"));
    Files.createFile(rec.resolve("log"));
    Files.createDirectories(runnerDir.resolve("bin"));
    Files.writeString(runnerDir.resolve("bin/Runner.Listener.dll"), "not really a runner\n");
    Path run = runnerDir.resolve("run.sh");
    Files.writeString(run, SCRIPT.replace("__REC__", rec.toAbsolutePath().toString()));
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static final String SCRIPT =
      """
      #!/bin/sh
      REC=__REC__
      me=$(basename "$PWD")
      if [ -z "$ACTIONS_RUNNER_INPUT_JITCONFIG" ]; then
        echo "$me nojit" >> "$REC/log"; exit 3
      fi
      case "$*" in *"$ACTIONS_RUNNER_INPUT_JITCONFIG"*) echo "$me argv" >> "$REC/log"; exit 4;; esac
      echo "runner config: $ACTIONS_RUNNER_INPUT_JITCONFIG"
      # A failing start records "start" and "failed" in one write: a test that plays GitHub
      # must never see the start of a runner that is about to fail as a runner taking a job.
      if [ -f "$REC/fail-once" ] && rm "$REC/fail-once" 2>/dev/null; then
        printf '%s start %s %s\\n%s failed\\n' "$me" "$$" "$*" "$me" >> "$REC/log"
        echo "cannot connect"; exit 1
      fi
      if [ -f "$REC/fail-always" ]; then
        printf '%s start %s %s\n%s failed\n' "$me" "$$" "$*" "$me" >> "$REC/log"
        echo "the runner's last words on stdout"
        echo "Error: cannot load the runner with config $ACTIONS_RUNNER_INPUT_JITCONFIG" >&2
        exit 2
      fi
      echo "$me start $$ $*" >> "$REC/log"
      if [ -f "$REC/tamper" ]; then
        # What this job was given, then a job that plants code for the next one.
        cp run.sh "$REC/run.sh-$me"; cp bin/Runner.Listener.dll "$REC/listener-$me"
        echo 'echo planted' >> run.sh; echo planted >> bin/Runner.Listener.dll
      fi
      if [ -f "$REC/hang" ]; then
        sleep 1000 &
        echo "$me child $!" >> "$REC/log"
        wait
      fi
      echo "Running job: build"
      while [ ! -f "$REC/release-$me" ]; do sleep 0.05; done
      echo "$me done" >> "$REC/log"
      exit 0
      """;

  /** The log's lines, each split into words: {@code claim-<id> start|done|failed|child ...}. */
  List<String[]> lines() throws IOException {
    List<String[]> out = new ArrayList<>();
    for (String l : Files.readAllLines(rec.resolve("log"))) {
      if (!l.isBlank()) {
        out.add(l.trim().split(" "));
      }
    }
    return out;
  }

  /** Claim ids by what happened to their runner, in log order. */
  Map<Long, List<String>> byClaim() throws IOException {
    Map<Long, List<String>> out = new LinkedHashMap<>();
    for (String[] l : lines()) {
      out.computeIfAbsent(Long.parseLong(l[0].substring("claim-".length())), k -> new ArrayList<>())
          .add(l[1]);
    }
    return out;
  }

  long count(String what) throws IOException {
    return lines().stream().filter(l -> l[1].equals(what)).count();
  }

  void release(long claimId) throws IOException {
    Path f = rec.resolve("release-claim-" + claimId);
    if (!Files.exists(f)) {
      Files.createFile(f);
    }
  }

  /**
   * Whether process {@code pid} is gone: no such process, or a zombie that only waits to be reaped
   * (in a container whose first process does not reap, that can take forever).
   */
  static boolean gone(long pid) {
    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      try {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
      } catch (IOException e) {
        return true;
      }
    }
    return true;
  }

  void set(String mode) throws IOException {
    Files.writeString(rec.resolve(mode), "");
  }
}
