package dev.runway.ui;

import dev.runway.accounts.Account;
import dev.runway.ingest.inbox.InboxRepository.InboxEntry;
import dev.runway.jobs.Job;
import dev.runway.redelivery.RedeliveryRepository.Listed;
import dev.runway.runners.RunnerReads;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * What the templates render: plain values, already decided, so a template only lays them out. The
 * records are public because the generated template classes live in jte's own package.
 */
public final class Views {
  private Views() {}

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  /** An instant as the UI shows it, in UTC; a dash when there is none. */
  public static String time(Instant t) {
    return t == null ? "—" : TIME.format(t);
  }

  /** A duration as a short age: {@code 42s}, {@code 5m 3s}, {@code 2h 10m}, {@code 3d 4h}. */
  public static String age(Duration d) {
    if (d == null) {
      return "—";
    }
    long s = Math.max(0, d.toSeconds());
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return (s / 60) + "m " + (s % 60) + "s";
    }
    if (s < 86400) {
      return (s / 3600) + "h " + (s % 3600 / 60) + "m";
    }
    return (s / 86400) + "d " + (s % 86400 / 3600) + "h";
  }

  /** A value for a URL's query or path segment (the template then escapes it for HTML). */
  public static String url(String value) {
    return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8)
        .replace("+", "%20");
  }

  /** Null as a dash. */
  public static String text(Object o) {
    return o == null ? "—" : o.toString();
  }

  /** What every page carries: the operator, the CSRF token for its forms, a banner, a message. */
  public record Frame(
      String title,
      String active,
      String operator,
      String csrf,
      String flash,
      List<String> alerts) {}

  /** A small chart: uPlot reads its points from {@code data}, a JSON document. */
  public record Chart(String id, String title, String unit, String data) {}

  public record QueueRow(String pool, long queued, String oldest) {}

  public record OverviewPage(Frame frame, List<Chart> charts, List<QueueRow> queues) {}

  /**
   * One pool at a glance.
   *
   * @param verdict {@code starved} (jobs wait while the pool has room: no runner is claiming),
   *     {@code saturated} (jobs wait and the pool is at {@code maxRunners}), {@code busy} or {@code
   *     idle}, or {@code runner fails to start} (jobs wait and the pool is {@code Degraded}: its
   *     runners exit before a job)
   * @param runners the runners by state as the provisioner reports them, when it does
   * @param degraded why the pool is {@code Degraded} (the provisioner's launch failures, or runner
   *     starts that ended before a job as agents report them); null when it is not
   */
  public record PoolRow(
      String name,
      List<String> labels,
      String maxRunners,
      long queued,
      String oldest,
      long claimed,
      long inProgress,
      String runners,
      List<String> launchFailures,
      String verdict,
      String degraded) {}

  public record PoolsPage(
      Frame frame, String source, String sourceState, List<PoolRow> pools, List<RepoRow> waiting) {}

  /**
   * A repository on the accounts and pools pages (fair share, issue 23): its settings, running and
   * queued jobs, share, the pools where it has claimable jobs, and why they wait ({@code
   * repository_cap}, {@code over_account_cap}, {@code waiting for a runner}; "-" when none do).
   */
  public record RepoRow(
      String repository,
      String account,
      String maxConcurrent,
      String weight,
      boolean configured,
      long running,
      long queued,
      String share,
      String pools,
      String why) {}

  public record JobFilter(
      String status, String pool, String outcome, String repository, String since) {}

  /**
   * The jobs list; {@code redispatchable} when the filter names an ignore outcome, so the page
   * offers the CLI's {@code jobs redispatch --outcome} for it.
   */
  public record JobsPage(Frame frame, JobFilter filter, List<Job> jobs, boolean redispatchable) {}

  /** One step of a job's timeline; {@code at} is null for a step not reached (or not recorded). */
  public record Step(String name, Instant at, String detail) {}

  public record JobPage(
      Frame frame,
      Job job,
      List<Step> timeline,
      String reason,
      boolean canRedispatch,
      String claimable,
      List<InboxEntry> deliveries,
      List<RunnerReads.JobClaim> claims,
      Map<String, Double> waits) {}

  public record DeliveriesPage(
      Frame frame, List<InboxEntry> inbox, List<Listed> redeliveries, boolean github) {}

  public record AccountsPage(Frame frame, List<Account> accounts, List<RepoRow> repositories) {}

  public record LoginPage(String csrf, String error) {}

  public record ErrorPage(String title, String message) {}
}
