package dev.runway.jobs;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.runway.Json;
import dev.runway.cli.CliEnv;
import dev.runway.cli.DatabaseOptions;
import dev.runway.cli.Output;
import dev.runway.config.Durations;
import dev.runway.db.Database;
import java.sql.Connection;
import java.time.Instant;
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

  /** ISO-8601 instant or a relative age such as {@code 2h}. */
  public static Instant since(String value) {
    if (value == null) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (java.time.format.DateTimeParseException e) {
      return Instant.now().minus(Durations.parse(value));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs, newest first.")
  static final class ListJobs implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Option(names = "--status", description = "waiting, queued, claimed, in_progress or completed")
    String status;

    @Option(names = "--outcome", description = "an ignore outcome, e.g. no_matching_pool")
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

    @Option(names = "--format", defaultValue = "table", description = "table or json")
    String format;

    @Override
    public Integer call() throws Exception {
      List<Job> jobs;
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        jobs =
            new JobRepository()
                .list(c, new JobRepository.Filter(status, outcome, pool, since(since), limit));
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
