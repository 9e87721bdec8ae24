package dev.runway.dispatch;

import dev.runway.cli.CliEnv;
import dev.runway.cli.DatabaseOptions;
import dev.runway.cli.UsageException;
import dev.runway.db.Database;
import dev.runway.jobs.JobsCommand;
import java.sql.Connection;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code runway jobs redispatch}: enqueues redispatch tasks for the service's workers. */
@Command(
    name = "redispatch",
    mixinStandardHelpOptions = true,
    description = {
      "Dispatch again the queued jobs that were ignored with OUTCOME.",
      "They are evaluated against the running service's current accounts and pools;",
      "the service's dispatch workers do the work."
    })
public final class RedispatchCommand implements Callable<Integer> {
  @Mixin DatabaseOptions db;
  @Spec CommandSpec spec;

  @Option(
      names = "--outcome",
      required = true,
      completionCandidates = Outcomes.class,
      description = "one of ${COMPLETION-CANDIDATES}")
  String outcome;

  @Option(names = "--since", description = "only jobs received since (ISO-8601 or age such as 2h)")
  String since;

  /** The outcomes a redispatch can change, as {@code --outcome} accepts them (see Choices). */
  static final class Outcomes extends dev.runway.cli.Choices.Of {
    Outcomes() {
      super(DispatchQueue.REDISPATCHABLE.stream().sorted().toArray(String[]::new));
    }
  }

  @Override
  public Integer call() throws Exception {
    if (!DispatchQueue.REDISPATCHABLE.contains(outcome)) {
      throw new UsageException("--outcome must be one of " + DispatchQueue.REDISPATCHABLE);
    }
    int n;
    try (Database d = db.open(CliEnv.of(spec));
        Connection c = d.main().getConnection()) {
      n = DispatchQueue.enqueueRedispatch(c, outcome, JobsCommand.since(since));
    }
    spec.commandLine().getOut().println(n + " job(s) queued for redispatch");
    spec.commandLine().getOut().flush();
    return 0;
  }
}
