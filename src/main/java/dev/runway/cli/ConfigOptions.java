package dev.runway.cli;

import dev.runway.platform.config.RunwayConfig;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Flags with the same meaning as the {@code RUNWAY_*} variables. A flag wins over the variable;
 * both end up in one map, which {@link RunwayConfig#from} validates once.
 */
public final class ConfigOptions {
  @Option(names = "--port", description = "Public port (RUNWAY_PORT, default 8080)")
  String port;

  @Option(
      names = "--admin-port",
      description = "Management port: metrics and operator APIs (RUNWAY_ADMIN_PORT, default 9090)")
  String adminPort;

  @Option(
      names = "--webhook-body-timeout",
      description = "Time a sender has for a whole webhook body (RUNWAY_WEBHOOK_BODY_TIMEOUT, 5s)")
  String webhookBodyTimeout;

  @Option(
      names = "--webhook-unverified-memory",
      description =
          "Memory for webhook bodies not yet verified, across all requests; past it they spill to"
              + " disk (RUNWAY_WEBHOOK_UNVERIFIED_MEMORY, 64MiB)")
  String webhookUnverifiedMemory;

  @Option(
      names = "--claim-deadline",
      description = "Time a claim may take, GitHub included (RUNWAY_CLAIM_DEADLINE, 20s)")
  String claimDeadline;

  @Option(
      names = "--retention-payloads",
      description = "Drop payload bytes after (RUNWAY_RETENTION_PAYLOADS, 7d)")
  String retentionPayloads;

  @Option(
      names = "--retention-deliveries",
      description = "Delete deliveries after (RUNWAY_RETENTION_DELIVERIES, 30d)")
  String retentionDeliveries;

  @Option(
      names = "--retention-jobs",
      description = "Delete completed jobs and ended claims after (RUNWAY_RETENTION_JOBS, 30d)")
  String retentionJobs;

  @Option(
      names = "--retention-redeliveries",
      description = "Delete redelivery records after (RUNWAY_RETENTION_REDELIVERIES, 30d)")
  String retentionRedeliveries;

  @Option(
      names = "--retention-interval",
      description = "Pause between pruning rounds (RUNWAY_RETENTION_INTERVAL, 10m)")
  String retentionInterval;

  @Option(
      names = "--database-url",
      description = "JDBC URL; unset starts an embedded PostgreSQL (RUNWAY_DATABASE_URL)")
  String databaseUrl;

  @Option(names = "--database-user", description = "RUNWAY_DATABASE_USER")
  String databaseUser;

  @Option(
      names = "--data-dir",
      description = "Embedded database and default spool location (RUNWAY_DATA_DIR)")
  String dataDir;

  @Option(
      names = "--pools",
      description = "file:PATH or kubernetes:NAMESPACE (RUNWAY_POOLS, default file:pools.yaml)")
  String pools;

  @Option(names = "--github-app-id", description = "RUNWAY_GITHUB_APP_ID")
  String githubAppId;

  @Option(names = "--github-private-key-file", description = "RUNWAY_GITHUB_PRIVATE_KEY_FILE")
  String githubPrivateKeyFile;

  @Option(
      names = "--github-api-url",
      description = "RUNWAY_GITHUB_API_URL (GHES: https://HOST/api/v3)")
  String githubApiUrl;

  @Option(
      names = "--redelivery-enabled",
      description =
          "Redeliver failed workflow_job deliveries; needs the App's credentials"
              + " (RUNWAY_REDELIVERY_ENABLED, default true)")
  String redeliveryEnabled;

  @Option(
      names = "--redelivery-interval",
      description = "Pause between redelivery cycles (RUNWAY_REDELIVERY_INTERVAL, default 2m)")
  String redeliveryInterval;

  @Option(
      names = "--redelivery-overlap",
      description = "How far before the checkpoint a cycle lists (RUNWAY_REDELIVERY_OVERLAP, 5m)")
  String redeliveryOverlap;

  @Option(
      names = "--redelivery-lookback",
      description = "How far back a cycle looks at most (RUNWAY_REDELIVERY_LOOKBACK, default 3d)")
  String redeliveryLookback;

  @Option(
      names = "--redelivery-max-per-cycle",
      description = "Redelivery requests per cycle (RUNWAY_REDELIVERY_MAX_PER_CYCLE, default 50)")
  String redeliveryMaxPerCycle;

  @Option(
      names = "--redelivery-max-attempts",
      description =
          "Redeliveries of one event before giving up (RUNWAY_REDELIVERY_MAX_ATTEMPTS, 3)")
  String redeliveryMaxAttempts;

  @Option(names = "--spool-dir", description = "RUNWAY_SPOOL_DIR (default DATA_DIR/spool)")
  String spoolDir;

  @Option(names = "--spool-max-bytes", description = "RUNWAY_SPOOL_MAX_BYTES (default 1 GiB)")
  String spoolMaxBytes;

  @Option(
      names = "--intake-budget",
      description = "Wait for a database commit before spooling (RUNWAY_INTAKE_BUDGET, 750ms)")
  String intakeBudget;

  @Option(names = "--dispatch-threads", description = "RUNWAY_DISPATCH_THREADS (default 4)")
  String dispatchThreads;

  @Option(names = "--log-format", description = "plain or json (RUNWAY_LOG_FORMAT)")
  public String logFormat;

  @Option(
      names = "--claim-lease",
      description =
          "Wait for a claimed job's in_progress before releasing it (RUNWAY_CLAIM_LEASE, 5m)")
  String claimLease;

  @Option(
      names = "--claim-reap-interval",
      description = "How often expired claims are released (RUNWAY_CLAIM_REAP_INTERVAL, 15s)")
  String claimReapInterval;

  @Option(
      names = "--stale-in-progress",
      description = "Check with GitHub a job in progress this long (RUNWAY_STALE_IN_PROGRESS, 6h)")
  String staleInProgress;

  @Option(
      names = "--stale-queued",
      description = "Check with GitHub a job queued this long (RUNWAY_STALE_QUEUED, 1h)")
  String staleQueued;

  @Option(
      names = "--stale-check-interval",
      description = "How often the stale-job check runs (RUNWAY_STALE_CHECK_INTERVAL, 5m)")
  String staleCheckInterval;

  @Option(
      names = "--claim-threads",
      description =
          "Claim requests running at once, apart from webhooks (RUNWAY_CLAIM_THREADS, 32)")
  String claimThreads;

  @Option(
      names = "--claim-queue",
      description = "Claim requests waiting for a thread before 503 (RUNWAY_CLAIM_QUEUE, 64)")
  String claimQueue;

  @Option(
      names = "--github-max-concurrency",
      description = "GitHub requests in flight at most (RUNWAY_GITHUB_MAX_CONCURRENCY, 20)")
  String githubMaxConcurrency;

  /** The environment with every given flag laid over it. Secrets come only from the environment. */
  public Map<String, String> merge(Map<String, String> env) {
    Map<String, String> m = new HashMap<>(env);
    put(m, RunwayConfig.PORT, port);
    put(m, RunwayConfig.ADMIN_PORT, adminPort);
    put(m, RunwayConfig.WEBHOOK_BODY_TIMEOUT, webhookBodyTimeout);
    put(m, RunwayConfig.WEBHOOK_UNVERIFIED_MEMORY, webhookUnverifiedMemory);
    put(m, RunwayConfig.CLAIM_DEADLINE, claimDeadline);
    put(m, RunwayConfig.RETENTION_PAYLOADS, retentionPayloads);
    put(m, RunwayConfig.RETENTION_DELIVERIES, retentionDeliveries);
    put(m, RunwayConfig.RETENTION_JOBS, retentionJobs);
    put(m, RunwayConfig.RETENTION_REDELIVERIES, retentionRedeliveries);
    put(m, RunwayConfig.RETENTION_INTERVAL, retentionInterval);
    put(m, RunwayConfig.DATABASE_URL, databaseUrl);
    put(m, RunwayConfig.DATABASE_USER, databaseUser);
    put(m, RunwayConfig.DATA_DIR, dataDir);
    put(m, RunwayConfig.POOLS, pools);
    put(m, RunwayConfig.GITHUB_APP_ID, githubAppId);
    put(m, RunwayConfig.GITHUB_PRIVATE_KEY_FILE, githubPrivateKeyFile);
    put(m, RunwayConfig.GITHUB_API_URL, githubApiUrl);
    put(m, RunwayConfig.REDELIVERY_ENABLED, redeliveryEnabled);
    put(m, RunwayConfig.REDELIVERY_INTERVAL, redeliveryInterval);
    put(m, RunwayConfig.REDELIVERY_OVERLAP, redeliveryOverlap);
    put(m, RunwayConfig.REDELIVERY_LOOKBACK, redeliveryLookback);
    put(m, RunwayConfig.REDELIVERY_MAX_PER_CYCLE, redeliveryMaxPerCycle);
    put(m, RunwayConfig.REDELIVERY_MAX_ATTEMPTS, redeliveryMaxAttempts);
    put(m, RunwayConfig.SPOOL_DIR, spoolDir);
    put(m, RunwayConfig.SPOOL_MAX_BYTES, spoolMaxBytes);
    put(m, RunwayConfig.INTAKE_BUDGET, intakeBudget);
    put(m, RunwayConfig.DISPATCH_THREADS, dispatchThreads);
    put(m, RunwayConfig.LOG_FORMAT, logFormat);
    put(m, RunwayConfig.CLAIM_LEASE, claimLease);
    put(m, RunwayConfig.CLAIM_REAP_INTERVAL, claimReapInterval);
    put(m, RunwayConfig.STALE_IN_PROGRESS, staleInProgress);
    put(m, RunwayConfig.STALE_QUEUED, staleQueued);
    put(m, RunwayConfig.STALE_CHECK_INTERVAL, staleCheckInterval);
    put(m, RunwayConfig.CLAIM_THREADS, claimThreads);
    put(m, RunwayConfig.CLAIM_QUEUE, claimQueue);
    put(m, RunwayConfig.GITHUB_MAX_CONCURRENCY, githubMaxConcurrency);
    return m;
  }

  private static void put(Map<String, String> m, String key, String value) {
    if (value != null) {
      m.put(key, value);
    }
  }
}
