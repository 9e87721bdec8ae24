// Over 400 lines because the agent's loop, its slots, drain and events are one state machine on the
// host.
package dev.runway.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runway.platform.config.Durations;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code runway agent}: claims jobs of one pool and runs an Actions runner for each, at most {@code
 * slots} at once.
 *
 * <p>Each slot is one thread with one loop: long-poll a claim; on a claim, make a fresh runner
 * directory (a copy of the template, or an empty one for a launcher), report {@code launching},
 * start {@code run.sh} (or the launcher) with the JIT config in its environment, report {@code
 * started}, stream its output, wait for it (killing it at the job timeout), report {@code exited}
 * with its exit code, whether it ran a job and its last stderr line, remove the directory, claim
 * again. A slot runs one runner at a time, so the slots are the bound. Starts that end before a job
 * hold every slot back together ({@link StartBackoff}).
 *
 * <p>{@link #drain()} (first SIGTERM): no new claims; running jobs may finish within the drain
 * timeout, then are killed and reported. A claim that arrives while draining (its request was
 * already waiting) is given back at once. {@link #stopNow()} (second SIGTERM): kill every runner,
 * report, return.
 */
public final class Agent {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);
  private static final Duration BACKOFF_BASE = Duration.ofMillis(500);

  /** Claims that fail (Runway unreachable, 5xx, a 404): a runner start never waits on this. */
  private static final Duration BACKOFF_CAP = Duration.ofSeconds(30);

  private static final Duration TICK = Duration.ofMillis(200);
  private static final int EVENT_ATTEMPTS = 6;

  /**
   * How long a launcher has, after its TERM, to destroy its machine before the agent kills what is
   * left of its process tree (a machine it did not destroy then stays behind: docs/agent.md).
   */
  static final Duration LAUNCHER_GRACE = Duration.ofSeconds(60);

  /** The JIT config's file in a launcher's job directory, mode 0600, deleted when it exits. */
  static final String JIT_FILE = "jitconfig";

  private final AgentSettings settings;
  private final RunwayApi api;
  private final RunnerDirs dirs;
  private final StartBackoff starts;
  private final CountDownLatch stopClaiming = new CountDownLatch(1);
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicBoolean stopNow = new AtomicBoolean();
  private final AtomicInteger exitCode = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger();
  private final Set<RunnerProcess> runners = ConcurrentHashMap.newKeySet();
  private volatile long drainDeadline;
  private final List<Thread> slots = new ArrayList<>();
  private final ExecutorService reporter =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "claim-events");
            t.setDaemon(true);
            return t;
          });

  public Agent(AgentSettings settings) {
    this.settings = settings;
    this.api =
        new RunwayApi(settings.url(), settings.pool(), settings.token(), settings.pollWait());
    this.dirs = new RunnerDirs(settings.runnerDir(), settings.workRoot());
    this.starts =
        new StartBackoff(settings.startBackoff(), ThreadLocalRandom.current()::nextDouble);
  }

  /** Starts the slots. */
  public synchronized Agent start() {
    log.info("runway agent starting: {}", settings);
    for (int i = 1; i <= settings.slots(); i++) {
      int slot = i;
      Thread t = new Thread(() -> slotLoop(slot), "slot-" + slot);
      slots.add(t);
      t.start();
    }
    return this;
  }

  /** Waits until every slot ended; the agent's exit code: 0, or 1 after a fatal answer. */
  public int await() throws InterruptedException {
    for (Thread t : List.copyOf(slots)) {
      t.join();
    }
    reporter.shutdown();
    log.info("runway agent stopped");
    return exitCode.get();
  }

  /** Runners running now. */
  public int running() {
    return running.get();
  }

  /** Stops claiming; running jobs may finish within the drain timeout. */
  public void drain() {
    if (draining.compareAndSet(false, true)) {
      drainDeadline = System.nanoTime() + settings.drainTimeout().toNanos();
      log.info(
          "draining: no new claims; {} running job(s) may finish within {}",
          running.get(),
          Durations.format(settings.drainTimeout()));
      stopClaiming.countDown();
    }
  }

  /** Stops at once: every runner is killed and reported. */
  public void stopNow() {
    drain();
    if (stopNow.compareAndSet(false, true)) {
      log.info("stopping now: killing {} runner(s)", running.get());
      slots.forEach(Thread::interrupt);
    }
  }

  /** The first call drains, the second stops at once: what SIGTERM does. */
  public void terminate() {
    if (draining.get()) {
      stopNow();
    } else {
      drain();
    }
  }

  private void slotLoop(int slot) {
    Backoff backoff =
        new Backoff(BACKOFF_BASE, BACKOFF_CAP, ThreadLocalRandom.current()::nextDouble);
    while (!draining.get()) {
      Duration wait = starts.beforeClaim(System.nanoTime());
      if (!wait.isZero()) {
        pause(wait);
        continue;
      }
      ClaimAnswer answer;
      try {
        answer = api.claim();
      } catch (InterruptedException e) {
        return;
      }
      if (answer instanceof ClaimAnswer.Claimed c) {
        if (draining.get()) {
          starts.nothing();
          giveBack(c);
          return;
        }
        Ran ran = runJob(c);
        if (ran.jobStarted()) {
          starts.succeeded();
          backoff.reset();
        } else if (ran.killed() != null || draining.get()) {
          // Killed by the agent (its timeout, its stop): says nothing about the runner's start.
          starts.nothing();
        } else {
          // A runner that cannot start or dies before any job (an outdated runner, a broken
          // --runner-dir or launcher) would otherwise turn every slot into a loop of claims and
          // registrations at GitHub. Runway counts the same exits and marks the pool Degraded.
          Duration d = starts.failed(System.nanoTime());
          log.warn(
              "slot {}: the runner ran no job ({} in a row; exit code {}{}); the agent claims"
                  + " again in {}",
              slot,
              starts.failures(),
              ran.exitCode() == null ? "none, it did not start" : ran.exitCode(),
              ran.stderrLine() == null ? "" : ", last stderr line: " + ran.stderrLine(),
              Durations.format(d));
        }
      } else if (answer instanceof ClaimAnswer.Nothing) {
        starts.nothing();
        backoff.reset();
      } else if (answer instanceof ClaimAnswer.RetryAfter r) {
        starts.nothing();
        log.info(
            "slot {}: Runway is busy ({}); claiming again in {}",
            slot,
            r.why(),
            Durations.format(r.delay()));
        pause(r.delay());
      } else if (answer instanceof ClaimAnswer.ConfigError e) {
        log.error(
            "slot {}: configuration error at Runway ({}); claiming again in {}",
            slot,
            e.why(),
            e.delay());
        pause(e.delay());
      } else if (answer instanceof ClaimAnswer.Transient t) {
        starts.nothing();
        Duration d = backoff.next();
        log.warn("slot {}: {}; claiming again in {}", slot, t.why(), Durations.format(d));
        pause(d);
      } else if (answer instanceof ClaimAnswer.Fatal f) {
        starts.nothing();
        log.error("stopping: {}", f.why());
        exitCode.set(1);
        drain();
        return;
      }
    }
  }

  /** How one claim's runner ended, as the slot needs it. */
  private record Ran(boolean jobStarted, Integer exitCode, String stderrLine, String killed) {
    static final Ran NOT_STARTED = new Ran(false, null, null, null);
  }

  /** Waits {@code d}, or less when the agent starts draining. */
  private void pause(Duration d) {
    try {
      stopClaiming.await(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A claim the agent will not run: reported as stopped, so Runway releases it at once. */
  private void giveBack(ClaimAnswer.Claimed c) {
    log.info("[{}] claimed while draining; giving it back", c.label());
    report(c, exited(null, false, false, "stopped", null));
  }

  /** Runs the claim's runner, or its launcher; how it ended. */
  private Ran runJob(ClaimAnswer.Claimed c) {
    Path dir = null;
    Path jitFile = null;
    running.incrementAndGet();
    try {
      // Reported beside the start, not before it: the runner's start is what the job waits for.
      // Events of one claim still reach Runway in order: each waits for the one before.
      CompletableFuture<Void> events =
          CompletableFuture.runAsync(() -> report(c, api.newEvent("launching")), reporter);
      RunnerProcess p;
      try {
        if (settings.launcher() == null) {
          dir = dirs.prepare(c.claimId());
          p = RunnerProcess.start(dir, settings.runnerArgs(), c.jitConfig(), c.label());
        } else {
          dir = dirs.prepareEmpty(c.claimId());
          jitFile = writeJitFile(dir, c.jitConfig());
          p =
              RunnerProcess.launch(
                  settings.launcher(),
                  dir,
                  settings.runnerArgs(),
                  c.jitConfig(),
                  launcherEnv(c, dir, jitFile),
                  c.label());
        }
      } catch (IOException | RuntimeException e) {
        log.error("[{}] cannot start the runner: {}", c.label(), e.toString());
        events.join();
        report(c, exited(null, false, false, null, null));
        return Ran.NOT_STARTED;
      }
      runners.add(p);
      try {
        log.info(
            "[{}] {} {} started (pid {}) in {}",
            c.label(),
            settings.launcher() == null ? "runner" : "launcher for runner",
            c.runnerName(),
            p.pid(),
            dir);
        events = events.thenRunAsync(() -> report(c, api.newEvent("started")), reporter);
        String killed = watch(c, p);
        int code = p.exitCode();
        deleteJitFile(c, jitFile);
        log.info(
            "[{}] runner exited with code {}{}{}",
            c.label(),
            code,
            p.jobStarted() ? " after running a job" : " before any job",
            killed == null ? "" : " (killed: " + killed + ")");
        events.join();
        report(c, exited(code, p.jobStarted(), p.deprecatedVersion(), killed, p.lastStderrLine()));
        return new Ran(p.jobStarted(), code, p.lastStderrLine(), killed);
      } finally {
        runners.remove(p);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Ran.NOT_STARTED;
    } finally {
      running.decrementAndGet();
      deleteJitFile(c, jitFile);
      if (dir != null) {
        try {
          RunnerDirs.remove(dir);
        } catch (IOException e) {
          log.warn("[{}] could not remove {}: {}", c.label(), dir, e.toString());
        }
      }
    }
  }

  /**
   * The JIT config in {@code dir/jitconfig}, created with mode 0600 (never wider, whatever the
   * umask), for a launcher that must copy it into its machine; deleted when the launcher exits.
   */
  static Path writeJitFile(Path dir, String jitConfig) throws IOException {
    Path f = dir.resolve(JIT_FILE);
    Files.deleteIfExists(f);
    Files.createFile(f, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    Files.setPosixFilePermissions(f, OWNER_ONLY);
    Files.writeString(f, jitConfig, StandardCharsets.UTF_8);
    return f;
  }

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private static void deleteJitFile(ClaimAnswer.Claimed c, Path jitFile) {
    if (jitFile == null) {
      return;
    }
    try {
      Files.deleteIfExists(jitFile);
    } catch (IOException e) {
      log.warn("[{}] could not delete the JIT config file {}: {}", c.label(), jitFile, e);
    }
  }

  /** The launcher's environment (docs/agent.md, "The launcher contract"). */
  private Map<String, String> launcherEnv(ClaimAnswer.Claimed c, Path dir, Path jitFile) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("RUNWAY_JIT_CONFIG_FILE", jitFile.toString());
    env.put("RUNWAY_RUNNER_NAME", c.runnerName());
    env.put("RUNWAY_CLAIM_ID", String.valueOf(c.claimId()));
    env.put("RUNWAY_JOB_ID", String.valueOf(c.jobId()));
    env.put("RUNWAY_RUN_ATTEMPT", String.valueOf(c.runAttempt()));
    env.put("RUNWAY_REPOSITORY", c.repository());
    env.put("RUNWAY_POOL", settings.pool());
    env.put("RUNWAY_JOB_DIR", dir.toString());
    env.put("RUNWAY_JOB_TIMEOUT_SECONDS", String.valueOf(settings.jobTimeout().toSeconds()));
    return env;
  }

  /**
   * Waits for the runner; kills its tree at the job timeout, at the drain deadline, or when the
   * agent stops now.
   *
   * @return why it was killed ({@code job_timeout}, {@code stopped}), or null
   */
  private String watch(ClaimAnswer.Claimed c, RunnerProcess p) throws InterruptedException {
    long jobDeadline = System.nanoTime() + settings.jobTimeout().toNanos();
    while (true) {
      boolean exited;
      try {
        exited = p.waitFor(TICK);
      } catch (InterruptedException e) {
        exited = false;
      }
      if (exited) {
        return null;
      }
      long now = System.nanoTime();
      if (stopNow.get() || (draining.get() && now - drainDeadline >= 0)) {
        log.warn("[{}] killing the runner: the agent is stopping", c.label());
        Thread.interrupted();
        kill(p);
        return "stopped";
      }
      if (now - jobDeadline >= 0) {
        log.warn(
            "[{}] killing the runner: it ran past --job-timeout {}",
            c.label(),
            Durations.format(settings.jobTimeout()));
        kill(p);
        return "job_timeout";
      }
    }
  }

  /** A launcher gets TERM alone and time to destroy its machine; a runner's tree gets TERM. */
  private void kill(RunnerProcess p) throws InterruptedException {
    if (settings.launcher() == null) {
      p.killTree();
    } else {
      p.killTree(true, LAUNCHER_GRACE);
    }
  }

  private ObjectNode exited(
      Integer code, boolean jobStarted, boolean deprecated, String killed, String stderrLine) {
    ObjectNode e = api.newEvent("exited");
    if (code == null) {
      e.putNull("exit_code");
    } else {
      e.put("exit_code", code);
    }
    e.put("job_started", jobStarted);
    e.put("deprecated_version", deprecated);
    if (killed == null) {
      e.putNull("killed");
    } else {
      e.put("killed", killed);
    }
    // Already redacted of the JIT config and cut to 300 characters (RunnerProcess).
    if (stderrLine == null) {
      e.putNull("last_stderr_line");
    } else {
      e.put("last_stderr_line", stderrLine);
    }
    return e;
  }

  /**
   * Reports an event, retrying while Runway cannot be reached or answers 5xx. A refusal (4xx) is
   * logged and not retried: the claim moved on without this agent.
   */
  private RunwayApi.EventAnswer report(ClaimAnswer.Claimed c, ObjectNode event) {
    String name = event.path("event").asText();
    Backoff backoff =
        new Backoff(BACKOFF_BASE, Duration.ofSeconds(10), ThreadLocalRandom.current()::nextDouble);
    RunwayApi.EventAnswer a = null;
    // Stopping now leaves one attempt: the lease covers an event that could not be sent.
    int attempts = stopNow.get() ? 1 : EVENT_ATTEMPTS;
    for (int i = 1; i <= attempts; i++) {
      try {
        a = api.event(c.claimId(), event);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new RunwayApi.EventAnswer(-1, null, "interrupted");
      }
      if (!a.retryable()) {
        break;
      }
      if (i < attempts) {
        try {
          Thread.sleep(backoff.next().toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    if (a.status() / 100 != 2) {
      log.warn("[{}] event {} not accepted: {} {}", c.label(), name, a.status(), a.message());
    }
    return a;
  }
}
