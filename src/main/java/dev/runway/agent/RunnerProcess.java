package dev.runway.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Actions runner: {@code run.sh} in the job's directory, with the JIT config in {@code
 * ACTIONS_RUNNER_INPUT_JITCONFIG} (the environment is private to the process; the command line is
 * not, {@code ps} shows it); or, with {@code --launcher}, the launcher that runs the runner in a
 * fresh machine, with the JIT config also in a file of mode 0600. Its output goes to the agent's
 * log line by line with the claim and job in front, and tells whether a job started, whether the
 * runner says it is too old, and which line it wrote last to stderr (the pool page shows it when
 * runners fail to start).
 */
final class RunnerProcess {
  private static final Logger log = LoggerFactory.getLogger("dev.runway.agent.runner");

  /** The Actions runner's line when it takes a job. */
  private static final String JOB_STARTED = "running job:";

  static final String JIT_ENV = "ACTIONS_RUNNER_INPUT_JITCONFIG";

  /** The stderr line sent with {@code exited}: Runway cuts it to the same length (ClaimEvent). */
  static final int STDERR_LINE_MAX = 300;

  private static final Duration TERM_GRACE = Duration.ofSeconds(5);

  private final Process process;
  private final String label;
  private final Thread out;
  private final Thread err;
  private volatile boolean jobStarted;
  private volatile boolean deprecated;
  private volatile boolean killing;
  private volatile String lastStderrLine;

  private RunnerProcess(Process process, String label, String secret) {
    this.process = process;
    this.label = label;
    this.out = pump(process.getInputStream(), secret, false, "runner-output-");
    this.err = pump(process.getErrorStream(), secret, true, "runner-stderr-");
  }

  /** Starts {@code dir/run.sh args...} with the JIT config in its environment. */
  static RunnerProcess start(Path dir, List<String> args, String jitConfig, String label)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(dir.resolve("run.sh").toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().put(JIT_ENV, jitConfig);
    return new RunnerProcess(pb.start(), label, jitConfig);
  }

  /**
   * Starts {@code launcher args...} in {@code dir} with {@code env} (the launcher contract of
   * docs/agent.md) and the JIT config in its environment; the JIT file is the caller's.
   */
  static RunnerProcess launch(
      Path launcher,
      Path dir,
      List<String> args,
      String jitConfig,
      Map<String, String> env,
      String label)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(launcher.toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().putAll(env);
    pb.environment().put(JIT_ENV, jitConfig);
    return new RunnerProcess(pb.start(), label, jitConfig);
  }

  private Thread pump(InputStream in, String secret, boolean stderr, String name) {
    Thread t = new Thread(() -> pump(in, secret, stderr), name + process.pid());
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void pump(InputStream in, String secret, boolean stderr) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String lower = line.toLowerCase(Locale.ROOT);
        // A job "started" while the runner is being killed never ran.
        if (lower.contains(JOB_STARTED) && !killing) {
          jobStarted = true;
        }
        // "Runner version v2.x is deprecated and cannot receive messages."
        if (lower.contains("deprecated") && lower.contains("version")) {
          deprecated = true;
        }
        // A runner that echoes its config must not put it in the agent's log, nor in Runway's.
        String safe = line.replace(secret, "<redacted>");
        if (stderr && !safe.isBlank()) {
          // Redacted before it is cut, so a cut can never leave part of the config behind.
          lastStderrLine =
              safe.length() > STDERR_LINE_MAX ? safe.substring(0, STDERR_LINE_MAX) : safe;
        }
        log.info("[{}] {}", label, safe);
      }
    } catch (IOException e) {
      // The process ended and its pipe closed.
    }
  }

  long pid() {
    return process.pid();
  }

  /**
   * Waits up to {@code d} for the runner to exit.
   *
   * @return whether it exited
   */
  boolean waitFor(Duration d) throws InterruptedException {
    return process.waitFor(Math.max(0, d.toMillis()), TimeUnit.MILLISECONDS);
  }

  /** The exit code, once it exited; its output is drained first so no line is lost. */
  int exitCode() throws InterruptedException {
    int code = process.waitFor();
    out.join(TimeUnit.SECONDS.toMillis(5));
    err.join(TimeUnit.SECONDS.toMillis(5));
    return code;
  }

  /** The last non-blank line the runner wrote to stderr, redacted and bounded; or null. */
  String lastStderrLine() {
    return lastStderrLine;
  }

  boolean jobStarted() {
    return jobStarted;
  }

  boolean deprecatedVersion() {
    return deprecated;
  }

  /**
   * Kills the runner and everything it started: TERM to the whole tree, then KILL to what is left
   * after a short grace. The tree is read before the runner dies, since its children are
   * re-parented then and can no longer be found from it.
   */
  void killTree() throws InterruptedException {
    killTree(false, TERM_GRACE);
  }

  /**
   * With {@code topFirst}, TERM goes to the top process alone (a launcher, whose trap destroys its
   * machine and needs its children to do so), and the rest of the tree gets KILL once it exited or
   * after {@code grace}; else TERM to the whole tree at once, and KILL after {@code grace}.
   */
  void killTree(boolean topFirst, Duration grace) throws InterruptedException {
    killing = true;
    List<ProcessHandle> tree =
        process.descendants().collect(Collectors.toCollection(ArrayList::new));
    tree.add(process.toHandle());
    if (topFirst) {
      process.destroy();
    } else {
      tree.forEach(ProcessHandle::destroy);
    }
    long deadline = System.nanoTime() + grace.toNanos();
    // A launcher that exited is done with its machine: what it left running is killed at once.
    for (ProcessHandle p : topFirst ? List.of(process.toHandle()) : tree) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        try {
          p.onExit().get(left, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException e) {
          // Killed below.
        }
      }
    }
    for (ProcessHandle p : tree) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    process.waitFor();
    log.info("[{}] runner process tree killed", label);
  }
}
