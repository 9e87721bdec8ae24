// Over 400 lines because it is the one validated record of every RUNWAY_* setting: each is a line
// or two, and one place lists them all.
package dev.runway.platform.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The service's effective configuration, read once from {@code RUNWAY_*} variables (flags of the
 * same meaning are merged in by the CLI under the same names) and validated here, so that a bad
 * value stops the start with a message naming the variable.
 *
 * @param databaseUrl a JDBC URL; empty means "start an embedded PostgreSQL in {@code dataDir}"
 * @param intakeBudget how long a webhook request may wait for its database commit before the
 *     delivery is spooled to disk instead
 * @param dispatchPollInterval how often the dispatch queue is polled when nothing woke it; commits
 *     wake it at once, in this replica and (through LISTEN/NOTIFY) in the others
 * @param dispatchBatch how many deliveries one dispatch transaction settles at most; 1 dispatches
 *     each delivery in its own transaction
 * @param claimLease how long a claimed job waits for its runner's {@code in_progress} before the
 *     claim is released and the job is claimable again
 * @param claimReapInterval how often expired claims are looked for
 * @param staleInProgress a job in progress this long is checked with GitHub's jobs API
 * @param staleQueued a job queued this long is checked with GitHub's jobs API
 * @param staleCheckInterval how often the stale-job check runs (only with GitHub credentials)
 * @param adminPort the management listener's port (metrics, health, operator APIs); 0 picks one
 * @param claimDeadline how long a claim request may take, GitHub calls included, before the claim
 *     is released and the agent is told to come back
 * @param webhookBodyTimeout how long a webhook sender may take to send its whole body
 * @param webhookUnverifiedMemory the most bytes of webhook bodies held in memory, across all
 *     requests, before their signature is verified; past it bodies spill to disk
 * @param retention how long stored data is kept
 * @param provisioner the Kubernetes provisioner's settings
 * @param bulkheads the claims side's own threads and the cap on GitHub requests in flight
 * @param sweep the sweep of GitHub's queue
 * @param providers the provider pools' settings
 */
public record RunwayConfig(
    int port,
    Optional<String> databaseUrl,
    Optional<String> databaseUser,
    Optional<String> databasePassword,
    Path dataDir,
    List<String> webhookSecrets,
    String pools,
    Optional<String> githubAppId,
    Optional<Path> githubPrivateKeyFile,
    URI githubApiUrl,
    Redelivery redelivery,
    Path spoolDir,
    long spoolMaxBytes,
    Duration intakeBudget,
    Duration drainInterval,
    int dispatchThreads,
    Duration dispatchPollInterval,
    int dispatchBatch,
    String logFormat,
    Duration shutdownGrace,
    Duration claimLease,
    Duration claimReapInterval,
    Duration staleInProgress,
    Duration staleQueued,
    Duration staleCheckInterval,
    int adminPort,
    Duration claimDeadline,
    Duration webhookBodyTimeout,
    long webhookUnverifiedMemory,
    Retention retention,
    Provisioner provisioner,
    Bulkheads bulkheads,
    Sweep sweep,
    Providers providers) {

  public static final String PORT = "RUNWAY_PORT";
  public static final String DATABASE_URL = "RUNWAY_DATABASE_URL";
  public static final String DATABASE_USER = "RUNWAY_DATABASE_USER";
  public static final String DATABASE_PASSWORD = "RUNWAY_DATABASE_PASSWORD";
  public static final String DATA_DIR = "RUNWAY_DATA_DIR";
  public static final String WEBHOOK_SECRETS = "RUNWAY_WEBHOOK_SECRETS";
  public static final String POOLS = "RUNWAY_POOLS";
  public static final String GITHUB_APP_ID = "RUNWAY_GITHUB_APP_ID";
  public static final String GITHUB_PRIVATE_KEY_FILE = "RUNWAY_GITHUB_PRIVATE_KEY_FILE";
  public static final String GITHUB_API_URL = "RUNWAY_GITHUB_API_URL";
  public static final String REDELIVERY_ENABLED = "RUNWAY_REDELIVERY_ENABLED";
  public static final String REDELIVERY_INTERVAL = "RUNWAY_REDELIVERY_INTERVAL";
  public static final String REDELIVERY_OVERLAP = "RUNWAY_REDELIVERY_OVERLAP";
  public static final String REDELIVERY_LOOKBACK = "RUNWAY_REDELIVERY_LOOKBACK";
  public static final String REDELIVERY_MAX_PER_CYCLE = "RUNWAY_REDELIVERY_MAX_PER_CYCLE";
  public static final String REDELIVERY_MAX_ATTEMPTS = "RUNWAY_REDELIVERY_MAX_ATTEMPTS";
  public static final String SPOOL_DIR = "RUNWAY_SPOOL_DIR";
  public static final String SPOOL_MAX_BYTES = "RUNWAY_SPOOL_MAX_BYTES";
  public static final String INTAKE_BUDGET = "RUNWAY_INTAKE_BUDGET";
  public static final String DRAIN_INTERVAL = "RUNWAY_DRAIN_INTERVAL";
  public static final String DISPATCH_THREADS = "RUNWAY_DISPATCH_THREADS";
  public static final String DISPATCH_POLL_INTERVAL = "RUNWAY_DISPATCH_POLL_INTERVAL";
  public static final String DISPATCH_BATCH = "RUNWAY_DISPATCH_BATCH";
  public static final String LOG_FORMAT = "RUNWAY_LOG_FORMAT";
  public static final String SHUTDOWN_GRACE = "RUNWAY_SHUTDOWN_GRACE";
  public static final String CLAIM_LEASE = "RUNWAY_CLAIM_LEASE";
  public static final String CLAIM_REAP_INTERVAL = "RUNWAY_CLAIM_REAP_INTERVAL";
  public static final String PROVISIONER_INTERVAL = "RUNWAY_PROVISIONER_INTERVAL";
  public static final String SWEEP_ENABLED = "RUNWAY_SWEEP_ENABLED";
  public static final String SWEEP_INTERVAL = "RUNWAY_SWEEP_INTERVAL";
  public static final String PROVISIONER_LAUNCHES_PER_CYCLE =
      "RUNWAY_PROVISIONER_LAUNCHES_PER_CYCLE";
  public static final String POD_POLICY = "RUNWAY_POD_POLICY";
  public static final String STALE_IN_PROGRESS = "RUNWAY_STALE_IN_PROGRESS";
  public static final String STALE_QUEUED = "RUNWAY_STALE_QUEUED";
  public static final String STALE_CHECK_INTERVAL = "RUNWAY_STALE_CHECK_INTERVAL";
  public static final String ADMIN_PORT = "RUNWAY_ADMIN_PORT";
  public static final String CLAIM_DEADLINE = "RUNWAY_CLAIM_DEADLINE";
  public static final String WEBHOOK_BODY_TIMEOUT = "RUNWAY_WEBHOOK_BODY_TIMEOUT";
  public static final String WEBHOOK_UNVERIFIED_MEMORY = "RUNWAY_WEBHOOK_UNVERIFIED_MEMORY";
  public static final String RETENTION_PAYLOADS = "RUNWAY_RETENTION_PAYLOADS";
  public static final String RETENTION_DELIVERIES = "RUNWAY_RETENTION_DELIVERIES";
  public static final String RETENTION_JOBS = "RUNWAY_RETENTION_JOBS";
  public static final String RETENTION_REDELIVERIES = "RUNWAY_RETENTION_REDELIVERIES";
  public static final String RETENTION_INTERVAL = "RUNWAY_RETENTION_INTERVAL";
  public static final String CLAIM_THREADS = "RUNWAY_CLAIM_THREADS";
  public static final String CLAIM_QUEUE = "RUNWAY_CLAIM_QUEUE";
  public static final String GITHUB_MAX_CONCURRENCY = "RUNWAY_GITHUB_MAX_CONCURRENCY";
  public static final String PUBLIC_URL = "RUNWAY_PUBLIC_URL";
  public static final String PROVIDER_SYNC_INTERVAL = "RUNWAY_PROVIDER_SYNC_INTERVAL";

  public RunwayConfig {
    if (port < 0 || port > 65535) {
      throw new ConfigException(PORT, "must be between 0 and 65535, was " + port);
    }
    if (webhookSecrets.isEmpty()) {
      throw new ConfigException(
          WEBHOOK_SECRETS, "set at least one webhook secret; without one every delivery is 401");
    }
    if (!pools.startsWith("file:") && !pools.startsWith("kubernetes:")) {
      throw new ConfigException(POOLS, "must be file:PATH or kubernetes:NAMESPACE");
    }
    if (githubAppId.isPresent() && githubPrivateKeyFile.isEmpty()) {
      throw new ConfigException(
          GITHUB_PRIVATE_KEY_FILE, "must be set when " + GITHUB_APP_ID + " is set");
    }
    if (githubPrivateKeyFile.isPresent() && githubAppId.isEmpty()) {
      throw new ConfigException(
          GITHUB_APP_ID, "must be set when " + GITHUB_PRIVATE_KEY_FILE + " is set");
    }
    if (spoolMaxBytes < 1024 * 1024) {
      throw new ConfigException(SPOOL_MAX_BYTES, "must be at least 1 MiB");
    }
    if (intakeBudget.isNegative() || intakeBudget.isZero() || intakeBudget.toSeconds() >= 9) {
      throw new ConfigException(
          INTAKE_BUDGET, "must be positive and well under GitHub's 10 s delivery timeout");
    }
    if (dispatchThreads < 1 || dispatchThreads > 64) {
      throw new ConfigException(DISPATCH_THREADS, "must be between 1 and 64");
    }
    if (dispatchPollInterval.toMillis() < 10) {
      throw new ConfigException(DISPATCH_POLL_INTERVAL, "must be at least 10ms");
    }
    if (dispatchBatch < 1 || dispatchBatch > 1000) {
      throw new ConfigException(DISPATCH_BATCH, "must be between 1 (no batching) and 1000");
    }
    if (!logFormat.equals("plain") && !logFormat.equals("json")) {
      throw new ConfigException(LOG_FORMAT, "must be plain or json");
    }
    if (githubAppId.isPresent() != githubPrivateKeyFile.isPresent()) {
      throw new ConfigException(
          githubAppId.isPresent() ? GITHUB_PRIVATE_KEY_FILE : GITHUB_APP_ID,
          "set both "
              + GITHUB_APP_ID
              + " and "
              + GITHUB_PRIVATE_KEY_FILE
              + ", or neither (then claims answer 503)");
    }
    positive(CLAIM_LEASE, claimLease);
    positive(CLAIM_REAP_INTERVAL, claimReapInterval);
    positive(STALE_IN_PROGRESS, staleInProgress);
    positive(STALE_QUEUED, staleQueued);
    positive(STALE_CHECK_INTERVAL, staleCheckInterval);
    if (adminPort < 0 || adminPort > 65535 || (adminPort == port && port != 0)) {
      throw new ConfigException(
          ADMIN_PORT, "must be between 0 and 65535 and differ from " + PORT + ", was " + adminPort);
    }
    positive(CLAIM_DEADLINE, claimDeadline);
    if (webhookBodyTimeout.isNegative()
        || webhookBodyTimeout.isZero()
        || webhookBodyTimeout.toSeconds() >= 10) {
      throw new ConfigException(
          WEBHOOK_BODY_TIMEOUT, "must be positive and under GitHub's 10 s delivery timeout");
    }
    if (webhookUnverifiedMemory < 1024 * 1024) {
      throw new ConfigException(WEBHOOK_UNVERIFIED_MEMORY, "must be at least 1MiB");
    }
    webhookSecrets = List.copyOf(webhookSecrets);
  }

  private static void positive(String name, Duration d) {
    if (d.isZero() || d.isNegative()) {
      throw new ConfigException(name, "must be a positive duration, was " + d);
    }
  }

  /** Reads the configuration from a map of {@code RUNWAY_*} names to values. */
  public static RunwayConfig from(Map<String, String> env) {
    Function<String, Optional<String>> get =
        name -> Optional.ofNullable(env.get(name)).map(String::trim).filter(s -> !s.isEmpty());
    Path dataDir = Path.of(get.apply(DATA_DIR).orElse("runway-data"));
    return new RunwayConfig(
        parse(get, PORT, "8080", Integer::parseInt),
        get.apply(DATABASE_URL),
        get.apply(DATABASE_USER),
        get.apply(DATABASE_PASSWORD),
        dataDir,
        get.apply(WEBHOOK_SECRETS).map(RunwayConfig::splitSecrets).orElse(List.of()),
        get.apply(POOLS).orElse("file:pools.yaml"),
        get.apply(GITHUB_APP_ID),
        get.apply(GITHUB_PRIVATE_KEY_FILE).map(Path::of),
        parse(get, GITHUB_API_URL, "https://api.github.com", URI::create),
        new Redelivery(
            parse(get, REDELIVERY_ENABLED, "true", RunwayConfig::parseBoolean),
            parse(get, REDELIVERY_INTERVAL, "2m", Durations::parse),
            parse(get, REDELIVERY_OVERLAP, "5m", Durations::parse),
            parse(get, REDELIVERY_LOOKBACK, "3d", Durations::parse),
            parse(get, REDELIVERY_MAX_PER_CYCLE, "50", Integer::parseInt),
            parse(get, REDELIVERY_MAX_ATTEMPTS, "3", Integer::parseInt)),
        get.apply(SPOOL_DIR).map(Path::of).orElse(dataDir.resolve("spool")),
        parse(get, SPOOL_MAX_BYTES, String.valueOf(1L << 30), Long::parseLong),
        parse(get, INTAKE_BUDGET, "750ms", Durations::parse),
        parse(get, DRAIN_INTERVAL, "1s", Durations::parse),
        parse(get, DISPATCH_THREADS, "4", Integer::parseInt),
        parse(get, DISPATCH_POLL_INTERVAL, "1s", Durations::parse),
        parse(get, DISPATCH_BATCH, "100", Integer::parseInt),
        get.apply(LOG_FORMAT).orElse("plain"),
        parse(get, SHUTDOWN_GRACE, "10s", Durations::parse),
        parse(get, CLAIM_LEASE, "5m", Durations::parse),
        parse(get, CLAIM_REAP_INTERVAL, "15s", Durations::parse),
        parse(get, STALE_IN_PROGRESS, "6h", Durations::parse),
        parse(get, STALE_QUEUED, "1h", Durations::parse),
        parse(get, STALE_CHECK_INTERVAL, "5m", Durations::parse),
        parse(get, ADMIN_PORT, "9090", Integer::parseInt),
        parse(get, CLAIM_DEADLINE, "20s", Durations::parse),
        parse(get, WEBHOOK_BODY_TIMEOUT, "5s", Durations::parse),
        parse(get, WEBHOOK_UNVERIFIED_MEMORY, "64MiB", RunwayConfig::parseBytes),
        new Retention(
            parse(get, RETENTION_PAYLOADS, "7d", Durations::parse),
            parse(get, RETENTION_DELIVERIES, "30d", Durations::parse),
            parse(get, RETENTION_JOBS, "30d", Durations::parse),
            parse(get, RETENTION_REDELIVERIES, "30d", Durations::parse),
            parse(get, RETENTION_INTERVAL, "10m", Durations::parse)),
        new Provisioner(
            parse(get, PROVISIONER_INTERVAL, "2s", Durations::parse),
            parse(get, PROVISIONER_LAUNCHES_PER_CYCLE, "20", Integer::parseInt),
            parse(get, POD_POLICY, "restricted", PodPolicy::parse)),
        new Bulkheads(
            parse(get, CLAIM_THREADS, "32", Integer::parseInt),
            parse(get, CLAIM_QUEUE, "64", Integer::parseInt),
            parse(get, GITHUB_MAX_CONCURRENCY, "20", Integer::parseInt)),
        new Sweep(
            parse(
                get,
                SWEEP_ENABLED,
                String.valueOf(get.apply(GITHUB_APP_ID).isPresent()),
                RunwayConfig::parseBoolean),
            parse(get, SWEEP_INTERVAL, "2m", Durations::parse)),
        new Providers(
            get.apply(PUBLIC_URL).map(u -> parse(get, PUBLIC_URL, u, URI::create)),
            parse(get, PROVIDER_SYNC_INTERVAL, "30s", Durations::parse)));
  }

  private static <T> T parse(
      Function<String, Optional<String>> get, String name, String fallback, Function<String, T> f) {
    String raw = get.apply(name).orElse(fallback);
    try {
      return f.apply(raw);
    } catch (RuntimeException e) {
      throw new ConfigException(name, "cannot use '" + raw + "': " + e.getMessage());
    }
  }

  private static boolean parseBoolean(String raw) {
    if (raw.equalsIgnoreCase("true")) {
      return true;
    }
    if (raw.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException("must be true or false");
  }

  /**
   * A byte count: a plain number of bytes, or one with a {@code KiB}, {@code MiB} or {@code GiB}.
   */
  static long parseBytes(String raw) {
    String s = raw.trim();
    long unit = 1;
    for (String[] u : new String[][] {{"KiB", "10"}, {"MiB", "20"}, {"GiB", "30"}}) {
      if (s.endsWith(u[0])) {
        unit = 1L << Integer.parseInt(u[1]);
        s = s.substring(0, s.length() - u[0].length()).trim();
        break;
      }
    }
    long n = Long.parseLong(s);
    if (n < 0 || n > Long.MAX_VALUE / unit) {
      throw new IllegalArgumentException("must be a byte count such as 67108864 or 64MiB");
    }
    return n * unit;
  }

  private static List<String> splitSecrets(String raw) {
    List<String> out = new ArrayList<>();
    Arrays.stream(raw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(out::add);
    return out;
  }

  /** The configuration as it may be logged: secrets are replaced by a count or a marker. */
  public Map<String, Object> redacted() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(PORT, port);
    m.put(DATABASE_URL, databaseUrl.map(RunwayConfig::stripUrlSecrets).orElse("(embedded)"));
    m.put(DATABASE_USER, databaseUser.orElse("(unset)"));
    m.put(DATABASE_PASSWORD, databasePassword.isPresent() ? "(set)" : "(unset)");
    m.put(DATA_DIR, dataDir.toAbsolutePath());
    m.put(WEBHOOK_SECRETS, webhookSecrets.size() + " secret(s)");
    m.put(POOLS, pools);
    m.put(GITHUB_APP_ID, githubAppId.orElse("(unset)"));
    m.put(GITHUB_PRIVATE_KEY_FILE, githubPrivateKeyFile.map(Object::toString).orElse("(unset)"));
    m.put(GITHUB_API_URL, githubApiUrl);
    m.put(REDELIVERY_ENABLED, redelivery.enabled() + (redeliveryActive() ? "" : " (off)"));
    m.put(REDELIVERY_INTERVAL, redelivery.interval());
    m.put(REDELIVERY_OVERLAP, redelivery.overlap());
    m.put(REDELIVERY_LOOKBACK, redelivery.lookback());
    m.put(REDELIVERY_MAX_PER_CYCLE, redelivery.maxPerCycle());
    m.put(REDELIVERY_MAX_ATTEMPTS, redelivery.maxAttempts());
    m.put(SPOOL_DIR, spoolDir.toAbsolutePath());
    m.put(SPOOL_MAX_BYTES, spoolMaxBytes);
    m.put(INTAKE_BUDGET, intakeBudget);
    m.put(DRAIN_INTERVAL, drainInterval);
    m.put(DISPATCH_THREADS, dispatchThreads);
    m.put(DISPATCH_POLL_INTERVAL, dispatchPollInterval);
    m.put(DISPATCH_BATCH, dispatchBatch);
    m.put(LOG_FORMAT, logFormat);
    m.put(SHUTDOWN_GRACE, shutdownGrace);
    m.put(CLAIM_LEASE, claimLease);
    m.put(CLAIM_REAP_INTERVAL, claimReapInterval);
    m.put(STALE_IN_PROGRESS, staleInProgress);
    m.put(STALE_QUEUED, staleQueued);
    m.put(STALE_CHECK_INTERVAL, staleCheckInterval);
    m.put(ADMIN_PORT, adminPort);
    m.put(CLAIM_DEADLINE, claimDeadline);
    m.put(WEBHOOK_BODY_TIMEOUT, webhookBodyTimeout);
    m.put(WEBHOOK_UNVERIFIED_MEMORY, webhookUnverifiedMemory);
    m.put(RETENTION_PAYLOADS, retention.payloads());
    m.put(RETENTION_DELIVERIES, retention.deliveries());
    m.put(RETENTION_JOBS, retention.jobs());
    m.put(RETENTION_REDELIVERIES, retention.redeliveries());
    m.put(RETENTION_INTERVAL, retention.interval());
    m.put(PROVISIONER_INTERVAL, provisioner.interval());
    m.put(PROVISIONER_LAUNCHES_PER_CYCLE, provisioner.launchesPerCycle());
    m.put(CLAIM_THREADS, bulkheads.claimThreads());
    m.put(CLAIM_QUEUE, bulkheads.claimQueue());
    m.put(GITHUB_MAX_CONCURRENCY, bulkheads.githubMaxConcurrency());
    m.put(POD_POLICY, provisioner.podPolicy().label());
    m.put(SWEEP_ENABLED, sweep.enabled());
    m.put(SWEEP_INTERVAL, sweep.interval());
    m.put(PUBLIC_URL, providers.publicUrl().map(URI::toString).orElse("(unset)"));
    m.put(PROVIDER_SYNC_INTERVAL, providers.syncInterval());
    return m;
  }

  /**
   * The sweep of GitHub's queue (issue 22): {@code enabled} defaults to whether App credentials are
   * set, {@code interval} to 2 minutes.
   */
  public record Sweep(boolean enabled, Duration interval) {
    public Sweep {
      positive(SWEEP_INTERVAL, interval);
    }
  }

  /**
   * The provider pools' settings (pools with a {@code provider}).
   *
   * @param publicUrl where instances reach Runway's public port; the metadata and callback URLs
   *     handed to them start with it. Required once a provider pool exists
   * @param syncInterval how often each provider pool's {@code ListInstances} runs, to delete
   *     orphans
   */
  public record Providers(Optional<URI> publicUrl, Duration syncInterval) {
    public Providers {
      publicUrl.ifPresent(
          u -> {
            if (!u.isAbsolute()
                || u.getHost() == null
                || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
              throw new ConfigException(
                  PUBLIC_URL, "must be an http:// or https:// URL with a host, was " + u);
            }
          });
      positive(PROVIDER_SYNC_INTERVAL, syncInterval);
    }
  }

  /**
   * The Kubernetes provisioner's settings (pools with a {@code template}).
   *
   * @param interval the longest pause between two provisioning cycles; Pod events and claimable
   *     jobs start a cycle sooner
   * @param launchesPerCycle the most Pods one cycle creates per pool, so that a burst of jobs
   *     becomes a steady stream of API requests
   * @param podPolicy what a {@code RunnerPool} template may ask of its Pods; a template the policy
   *     refuses is invalid, and its pool keeps its last valid version
   */
  public record Provisioner(Duration interval, int launchesPerCycle, PodPolicy podPolicy) {
    public Provisioner {
      positive(PROVISIONER_INTERVAL, interval);
      if (launchesPerCycle < 1 || launchesPerCycle > 1000) {
        throw new ConfigException(PROVISIONER_LAUNCHES_PER_CYCLE, "must be between 1 and 1000");
      }
      Objects.requireNonNull(podPolicy, POD_POLICY);
    }

    /** The default policy, {@code restricted}. */
    public Provisioner(Duration interval, int launchesPerCycle) {
      this(interval, launchesPerCycle, PodPolicy.RESTRICTED);
    }
  }

  /**
   * The claims side's bulkhead and the cap on GitHub requests: what keeps a slow GitHub from
   * reaching the webhook's threads.
   *
   * @param claimThreads claim requests (long-polls' first attempts included) running at once, on
   *     threads of their own; the public listener's threads only hand them over
   * @param claimQueue claim requests waiting for one of those threads; past it, 503 at once
   * @param githubMaxConcurrency GitHub requests in flight at most, across every caller in the
   *     process; the others queue within their own deadline, then fail as "GitHub busy"
   */
  public record Bulkheads(int claimThreads, int claimQueue, int githubMaxConcurrency) {
    public Bulkheads {
      if (claimThreads < 1 || claimThreads > 1024) {
        throw new ConfigException(CLAIM_THREADS, "must be between 1 and 1024");
      }
      if (claimQueue < 0 || claimQueue > 100_000) {
        throw new ConfigException(CLAIM_QUEUE, "must be between 0 and 100000");
      }
      if (githubMaxConcurrency < 1 || githubMaxConcurrency > 100) {
        throw new ConfigException(
            GITHUB_MAX_CONCURRENCY, "must be between 1 and 100 (GitHub's own concurrency limit)");
      }
    }
  }

  /** Whether the App's credentials are configured (both or neither, see the constructor). */
  public boolean hasAppCredentials() {
    return githubAppId.isPresent() && githubPrivateKeyFile.isPresent();
  }

  /** Whether the redelivery reconciler runs: enabled, and the App's credentials are configured. */
  public boolean redeliveryActive() {
    return redelivery.enabled() && hasAppCredentials();
  }

  /**
   * The redelivery reconciler's settings.
   *
   * @param enabled false turns the reconciler off even when the App's credentials are configured
   * @param interval the pause between the end of one cycle and the start of the next
   * @param overlap how far before the checkpoint each cycle starts listing, for attempts that
   *     GitHub lists late
   * @param lookback how far back a cycle looks at most, the first one included; GitHub redelivers
   *     only within 3 days (7 on GitHub Enterprise Server)
   * @param maxPerCycle the most redelivery requests one cycle sends
   * @param maxAttempts redelivery requests per event before it is given up
   */
  public record Redelivery(
      boolean enabled,
      Duration interval,
      Duration overlap,
      Duration lookback,
      int maxPerCycle,
      int maxAttempts) {

    public Redelivery {
      if (interval.compareTo(Duration.ofSeconds(1)) < 0
          || interval.compareTo(Duration.ofDays(1)) > 0) {
        throw new ConfigException(
            REDELIVERY_INTERVAL, "must be between 1s and 1d, was " + interval);
      }
      if (lookback.compareTo(Duration.ofMinutes(1)) < 0
          || lookback.compareTo(Duration.ofDays(7)) > 0) {
        throw new ConfigException(
            REDELIVERY_LOOKBACK, "must be between 1m and 7d (GitHub's limit), was " + lookback);
      }
      if (overlap.isNegative() || overlap.compareTo(lookback) >= 0) {
        throw new ConfigException(
            REDELIVERY_OVERLAP, "must be at least 0 and less than " + REDELIVERY_LOOKBACK);
      }
      if (maxPerCycle < 1 || maxPerCycle > 1000) {
        throw new ConfigException(REDELIVERY_MAX_PER_CYCLE, "must be between 1 and 1000");
      }
      if (maxAttempts < 1 || maxAttempts > 100) {
        throw new ConfigException(REDELIVERY_MAX_ATTEMPTS, "must be between 1 and 100");
      }
    }
  }

  /**
   * How long stored data is kept; the pruner runs every {@code interval} on one replica.
   *
   * @param payloads after this, a settled delivery's payload bytes are dropped; its row stays
   * @param deliveries after this, a settled delivery's inbox row is deleted
   * @param jobs after this, a completed job and the claims that ended with it are deleted
   * @param redeliveries after this, a redelivery record is deleted
   */
  public record Retention(
      Duration payloads,
      Duration deliveries,
      Duration jobs,
      Duration redeliveries,
      Duration interval) {
    public Retention {
      positive(RETENTION_PAYLOADS, payloads);
      positive(RETENTION_DELIVERIES, deliveries);
      positive(RETENTION_JOBS, jobs);
      positive(RETENTION_REDELIVERIES, redeliveries);
      positive(RETENTION_INTERVAL, interval);
      if (payloads.compareTo(deliveries) > 0) {
        throw new ConfigException(
            RETENTION_PAYLOADS, "must not be longer than " + RETENTION_DELIVERIES);
      }
    }
  }

  /** Drops a password given as a URL parameter, so the URL can be logged. */
  static String stripUrlSecrets(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }

  @Override
  public String toString() {
    return "RunwayConfig" + redacted();
  }
}
