package dev.runway.cli.admin;

import dev.runway.cli.CliEnv;
import dev.runway.cli.DatabaseOptions;
import dev.runway.cli.UsageException;
import dev.runway.dispatch.DispatchQueue;
import dev.runway.platform.db.Database;
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
      "the service's dispatch workers do the work.",
      "With --job or --pool, claimable jobs are evaluated again too: one stays in its pool while",
      "that still matches, else it moves to the pool that matches now or is ignored, with a note."
    })
public final class RedispatchCommand implements Callable<Integer> {
  @Mixin DatabaseOptions db;
  @Spec CommandSpec spec;

  @Option(
      names = "--outcome",
      completionCandidates = Outcomes.class,
      description = "one of ${COMPLETION-CANDIDATES}")
  String outcome;

  @Option(names = "--job", description = "only this workflow job id (every queued attempt)")
  Long job;

  @Option(names = "--pool", description = "only the claimable jobs queued for this pool")
  String pool;

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
    if (outcome == null && job == null && pool == null) {
      throw new UsageException("give --outcome, --job or --pool");
    }
    if (outcome != null && !DispatchQueue.REDISPATCHABLE.contains(outcome)) {
      throw new UsageException("--outcome must be one of " + DispatchQueue.REDISPATCHABLE);
    }
    if (pool != null && pool.isBlank()) {
      throw new UsageException("--pool must name a pool");
    }
    int n;
    try (Database d = db.open(CliEnv.of(spec));
        Connection c = d.main().getConnection()) {
      n =
          job == null && pool == null
              ? DispatchQueue.enqueueRedispatch(c, outcome, JobsCommand.since(since))
              : DispatchQueue.enqueueRedispatch(c, outcome, JobsCommand.since(since), job, pool);
    }
    spec.commandLine().getOut().println(n + " job(s) queued for redispatch");
    spec.commandLine().getOut().flush();
    return 0;
  }
}
