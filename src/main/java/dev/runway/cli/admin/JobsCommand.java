package dev.runway.cli.admin;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.runway.cli.Choices;
import dev.runway.cli.CliEnv;
import dev.runway.cli.DatabaseOptions;
import dev.runway.cli.Output;
import dev.runway.cli.UsageException;
import dev.runway.jobs.Job;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobStatus;
import dev.runway.platform.config.Durations;
import dev.runway.platform.db.Database;
import dev.runway.platform.http.Json;
import java.sql.Connection;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code runway jobs list}. {@code jobs redispatch} belongs to dispatch (it enqueues tasks) and is
 * added under this command by {@code Main}, so jobs does not depend on dispatch.
 */
@Command(
    name = "jobs",
    mixinStandardHelpOptions = true,
    description = "Inspect jobs, and dispatch ignored ones again once their cause is fixed.",
    subcommands = {JobsCommand.ListJobs.class})
public final class JobsCommand {

  /**
   * ISO-8601 instant or a relative age such as {@code 2h}; anything else is a usage error (exit 2)
   * naming {@code --since}.
   */
  public static Instant since(String value) {
    if (value == null) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (java.time.format.DateTimeParseException notAnInstant) {
      try {
        return Instant.now().minus(Durations.parse(value));
      } catch (RuntimeException notAnAge) {
        throw new UsageException(
            "--since: '"
                + value
                + "' is neither an ISO-8601 instant (2026-01-31T12:00:00Z) nor an age (30m, 2h, 3d)");
      }
    }
  }

  /** The statuses {@code --status} accepts: those of {@link JobStatus}, as stored. */
  static final class Statuses extends Choices.Of {
    Statuses() {
      super(Arrays.stream(JobStatus.values()).map(JobStatus::db).toArray(String[]::new));
    }
  }

  /** The ignore outcomes a job can be stored with (the dispatch metric's labels for them). */
  static final class IgnoreOutcomes extends Choices.Of {
    IgnoreOutcomes() {
      super(
          "no_account",
          "runners_disabled",
          "no_matching_pool",
          "no_pools",
          "ambiguous_pool",
          "ignored");
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs, newest first.")
  static final class ListJobs implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Option(
        names = "--status",
        completionCandidates = Statuses.class,
        description = "one of ${COMPLETION-CANDIDATES}")
    String status;

    @Option(
        names = "--outcome",
        completionCandidates = IgnoreOutcomes.class,
        description = "an ignore outcome: ${COMPLETION-CANDIDATES}")
    String outcome;

    @Option(names = "--pool", description = "pool name")
    String pool;

    @Option(names = "--since", description = "ISO-8601 instant or age such as 2h")
    String since;

    @Option(
        names = "--limit",
        defaultValue = "100",
        description = "at most this many (default 100)")
    int limit;

    @Option(
        names = "--format",
        defaultValue = "table",
        completionCandidates = Choices.TableOrJson.class,
        description = "table or json")
    String format;

    @Override
    public Integer call() throws Exception {
      // Checked before the database opens: a typo is a usage error, not a wait for PostgreSQL.
      var filter = new JobRepository.Filter(status, outcome, pool, since(since), limit);
      List<Job> jobs;
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        jobs = new JobRepository().list(c, filter);
      }
      var out = spec.commandLine().getOut();
      if (format.equals("json")) {
        out.println(
            Json.mapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(jobs));
        out.flush();
        return 0;
      }
      Output.table(
          out,
          List.of(
              "JOB", "ATTEMPT", "REPOSITORY", "STATUS", "POOL", "OUTCOME", "RUNNER", "RECEIVED"),
          jobs.stream()
              .map(
                  j ->
                      List.of(
                          String.valueOf(j.jobId()),
                          String.valueOf(j.runAttempt()),
                          String.valueOf(j.repository()),
                          j.status(),
                          j.pool() == null ? "-" : j.pool(),
                          j.outcome() == null ? "-" : j.outcome(),
                          j.runnerName() == null ? "-" : j.runnerName(),
                          String.valueOf(j.receivedAt())))
              .toList());
      return 0;
    }
  }
}
