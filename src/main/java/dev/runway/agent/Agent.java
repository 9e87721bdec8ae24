package dev.runway.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * directory, report {@code launching}, start {@code run.sh} with the JIT config in its environment,
 * report {@code started}, stream its output, wait for it (killing its whole tree at the job
 * timeout), report {@code exited} with its exit code and whether it ran a job, remove the
 * directory, claim again. A slot runs one runner at a time, so the slots are the bound.
 *
 * <p>{@link #drain()} (first SIGTERM): no new claims; running jobs may finish within the drain
 * timeout, then are killed and reported. A claim that arrives while draining (its request was
 * already waiting) is given back at once. {@link #stopNow()} (second SIGTERM): kill every runner,
 * report, return.
 */
public final class Agent {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);
  private static final Duration BACKOFF_BASE = Duration.ofMillis(500);
  private static final Duration BACKOFF_CAP = Duration.ofSeconds(30);
  private static final Duration TICK = Duration.ofMillis(200);
  private static final int EVENT_ATTEMPTS = 6;

  private final AgentSettings settings;
  private final RunwayApi api;
  private final RunnerDirs dirs;
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
          settings.drainTimeout());
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
      ClaimAnswer answer;
      try {
        answer = api.claim();
      } catch (InterruptedException e) {
        return;
      }
      if (answer instanceof ClaimAnswer.Claimed c) {
        if (draining.get()) {
          giveBack(c);
          return;
        }
        if (runJob(c)) {
          backoff.reset();
        } else if (!draining.get()) {
          // A runner that cannot start or dies before any job (an outdated runner, a broken
          // --runner-dir) would otherwise turn the slot into a loop of claims and registrations.
          Duration d = backoff.next();
          log.warn("slot {}: the runner ran no job; claiming again in {} ms", slot, d.toMillis());
          pause(d);
        }
      } else if (answer instanceof ClaimAnswer.Nothing) {
        backoff.reset();
      } else if (answer instanceof ClaimAnswer.RetryAfter r) {
        log.info("slot {}: Runway is busy ({}); claiming again in {}", slot, r.why(), r.delay());
        pause(r.delay());
      } else if (answer instanceof ClaimAnswer.ConfigError e) {
        log.error(
            "slot {}: configuration error at Runway ({}); claiming again in {}",
            slot,
            e.why(),
            e.delay());
        pause(e.delay());
      } else if (answer instanceof ClaimAnswer.Transient t) {
        Duration d = backoff.next();
        log.warn("slot {}: {}; claiming again in {} ms", slot, t.why(), d.toMillis());
        pause(d);
      } else if (answer instanceof ClaimAnswer.Fatal f) {
        log.error("stopping: {}", f.why());
        exitCode.set(1);
        drain();
        return;
      }
    }
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
    report(c, exited(null, false, false, "stopped"));
  }

  /** Runs the claim's runner; whether it ran a job. */
  private boolean runJob(ClaimAnswer.Claimed c) {
    Path dir = null;
    running.incrementAndGet();
    try {
      // Reported beside the start, not before it: the runner's start is what the job waits for.
      // Events of one claim still reach Runway in order: each waits for the one before.
      CompletableFuture<Void> events =
          CompletableFuture.runAsync(() -> report(c, api.newEvent("launching")), reporter);
      RunnerProcess p;
      try {
        dir = dirs.prepare(c.claimId());
        p = RunnerProcess.start(dir, settings.runnerArgs(), c.jitConfig(), c.label());
      } catch (IOException | RuntimeException e) {
        log.error("[{}] cannot start the runner: {}", c.label(), e.toString());
        events.join();
        report(c, exited(null, false, false, null));
        return false;
      }
      runners.add(p);
      try {
        log.info("[{}] runner {} started (pid {}) in {}", c.label(), c.runnerName(), p.pid(), dir);
        events = events.thenRunAsync(() -> report(c, api.newEvent("started")), reporter);
        String killed = watch(c, p);
        int code = p.exitCode();
        log.info(
            "[{}] runner exited with code {}{}{}",
            c.label(),
            code,
            p.jobStarted() ? " after running a job" : " before any job",
            killed == null ? "" : " (killed: " + killed + ")");
        events.join();
        report(c, exited(code, p.jobStarted(), p.deprecatedVersion(), killed));
        return p.jobStarted();
      } finally {
        runners.remove(p);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      running.decrementAndGet();
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
        p.killTree();
        return "stopped";
      }
      if (now - jobDeadline >= 0) {
        log.warn(
            "[{}] killing the runner: it ran past --job-timeout {}",
            c.label(),
            settings.jobTimeout());
        p.killTree();
        return "job_timeout";
      }
    }
  }

  private ObjectNode exited(Integer code, boolean jobStarted, boolean deprecated, String killed) {
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
