package dev.runway.pools;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pools from a YAML file ({@code RUNWAY_POOLS=file:PATH}), reloaded when the file changes.
 *
 * <p>A single background thread reads and hashes the file every poll interval (1 s by default).
 * Polling the content, rather than a {@code WatchService}, survives editors that save by renaming a
 * new file over the old one, and a file of a few kilobytes costs nothing to hash.
 *
 * <ul>
 *   <li>Before the first valid load, {@link #current()} is {@link PoolView.Unavailable}, with the
 *       reason (missing file, invalid content).
 *   <li>A missing, unreadable or invalid file after a valid load keeps serving the last good
 *       snapshot. The problem is logged at WARN once per bad version, counted in {@code
 *       runway_pool_source_errors_total{source="file",reason}}, and {@code
 *       runway_pool_source_valid{source="file"}} drops to 0. The snapshot's {@code observedAt}
 *       stops advancing, so {@code runway_pool_snapshot_age_seconds} shows how stale it is.
 * </ul>
 *
 * <p>Thread safety: only the poller thread writes the state; {@link #current()} reads one volatile
 * field and is safe from any thread.
 */
final class FilePoolSource implements PoolSource {

  /** Default time between two reads of the file. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(FilePoolSource.class);
  private static final long MAX_FILE_BYTES = 1024 * 1024;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(5);

  private final Path path;
  private final Duration pollInterval;
  private final Clock clock;
  private final PoolsFileParser parser = new PoolsFileParser();
  private final PoolSourceMetrics metrics;
  private final ScheduledExecutorService poller;
  private final CompletableFuture<Void> firstPoll = new CompletableFuture<>();
  private final CompletableFuture<Void> firstAvailable = new CompletableFuture<>();

  private volatile PoolView view;
  private volatile boolean valid;
  private volatile boolean started;

  // Confined to the poller thread.
  private String goodHash;
  private String lastBadVersion;

  /** A source polling {@code path} every second, on the system clock. */
  public FilePoolSource(Path path, MeterRegistry registry) {
    this(path, registry, DEFAULT_POLL_INTERVAL, Clock.systemUTC());
  }

  public FilePoolSource(Path path, MeterRegistry registry, Duration pollInterval, Clock clock) {
    this.path = Objects.requireNonNull(path, "path");
    this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("pollInterval must be positive, got " + pollInterval);
    }
    this.clock = Objects.requireNonNull(clock, "clock");
    this.view = new PoolView.Unavailable("pools file " + path + " has not been read yet");
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "runway-pools-file");
              thread.setDaemon(true);
              return thread;
            });
    this.metrics = new PoolSourceMetrics(registry, "file", this::current, clock);
    metrics.gauge(
        "runway.pool.source.valid",
        "1 when the latest version of the pools file is valid, 0 when it is not",
        () -> valid ? 1 : 0);
  }

  /**
   * Schedules the polling and waits (at most 5 s) for the first read, so that a readable file is
   * already served when this returns.
   */
  @Override
  public synchronized void start() {
    if (started) {
      return;
    }
    started = true;
    poller.scheduleWithFixedDelay(this::poll, 0, pollInterval.toNanos(), TimeUnit.NANOSECONDS);
    try {
      firstPoll.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("pools file {} not read within {}; still trying", path, START_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException("first poll cannot fail", e);
    }
  }

  @Override
  public PoolView current() {
    return view;
  }

  @Override
  public PoolView awaitAvailable(Duration timeout) throws InterruptedException {
    try {
      firstAvailable.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // The view says why it is unavailable.
    }
    return current();
  }

  @Override
  public String describe() {
    return "file:" + path;
  }

  @Override
  public void close() {
    poller.shutdownNow();
    metrics.close();
  }

  /** One poll; never throws, so that the scheduled task keeps running. */
  private void poll() {
    try {
      pollOnce();
    } catch (RuntimeException e) {
      log.warn("unexpected error while polling pools file {}; will retry", path, e);
    } finally {
      firstPoll.complete(null);
    }
  }

  private void pollOnce() {
    byte[] content;
    try {
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
      if (!attributes.isRegularFile()) {
        reject("unreadable", "not-a-file", "pools file " + path + " is not a regular file");
        return;
      }
      if (attributes.size() > MAX_FILE_BYTES) {
        reject(
            "too_large",
            "too-large:" + attributes.size(),
            "pools file " + path + " is " + attributes.size() + " bytes, over the 1 MiB limit");
        return;
      }
      content = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      reject("missing", "missing", "pools file " + path + " does not exist");
      return;
    } catch (IOException e) {
      reject("unreadable", "io:" + e, "pools file " + path + " cannot be read: " + e);
      return;
    }
    load(content);
  }

  private void load(byte[] content) {
    String hash = sha256(content);
    if (hash.equals(goodHash)) {
      // Same content as the snapshot served: the source just confirmed it is current.
      publish(((PoolView.Available) view).snapshot().pools());
      return;
    }
    List<Pool> pools;
    try {
      pools = parser.parse(content);
    } catch (PoolsFileParser.InvalidPoolsFile e) {
      reject(e.reason(), hash, "pools file " + path + " is invalid: " + e.getMessage());
      return;
    }
    goodHash = hash;
    publish(pools);
    log.info("loaded {} pool(s) from {}: {}", pools.size(), path, names(pools));
  }

  private void publish(List<Pool> pools) {
    view = new PoolView.Available(new PoolSnapshot(pools, clock.instant(), describe()));
    valid = true;
    lastBadVersion = null;
    firstAvailable.complete(null);
  }

  /**
   * Keeps the last good snapshot (or stays unavailable with this reason), and reports each bad
   * version once: the poll runs every second and the log must not.
   */
  private void reject(String reason, String version, String message) {
    valid = false;
    if (view instanceof PoolView.Unavailable) {
      view = new PoolView.Unavailable(message);
    }
    if (version.equals(lastBadVersion)) {
      return;
    }
    lastBadVersion = version;
    metrics.error(reason);
    if (view instanceof PoolView.Available available) {
      log.warn(
          "{}; keeping the {} pool(s) last loaded at {}",
          message,
          available.snapshot().pools().size(),
          available.snapshot().observedAt());
    } else {
      log.warn("{}; no pools known yet, dispatch will retry", message);
    }
  }

  private static List<String> names(List<Pool> pools) {
    return pools.stream().map(Pool::name).toList();
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
