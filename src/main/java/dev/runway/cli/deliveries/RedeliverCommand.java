package dev.runway.cli.deliveries;

import dev.runway.cli.ExitCodes;
import dev.runway.cli.UsageException;
import dev.runway.platform.github.DeliverySummary;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import dev.runway.redelivery.DeliveryFilter;
import dev.runway.redelivery.DeliveryScanner;
import dev.runway.redelivery.RedeliveryDecision;
import dev.runway.redelivery.RedeliveryPlanner;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code runway deliveries redeliver}: asks GitHub to deliver events again. Given ids, those
 * attempts; with {@code --failed}, the newest failed attempt of each event (GUID) in the filtered
 * window that has no successful attempt. One line per id on stdout; a failure on one id is reported
 * and the others still go ahead, and then the exit code is 1.
 */
@Command(
    name = "redeliver",
    description = "Redeliver the given delivery ids, or with --failed the failed events.",
    mixinStandardHelpOptions = true)
final class RedeliverCommand extends DeliveriesSubcommand {

  @Parameters(arity = "0..*", paramLabel = "ID", description = "Delivery (attempt) ids.")
  List<Long> ids = new ArrayList<>();

  @Option(
      names = "--failed",
      description = "Redeliver each event in the window that has no successful attempt.")
  boolean failed;

  @Option(names = "--dry-run", description = "Print the plan, redeliver nothing.")
  boolean dryRun;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "200",
      description = "With --failed, redeliver at most N events (default: ${DEFAULT-VALUE}).")
  int limit;

  @Mixin FilterMixin filters;

  private record Target(long id, DeliverySummary attempt) {
    String describe() {
      if (attempt == null) {
        return String.valueOf(id);
      }
      return id
          + " guid="
          + attempt.guid()
          + " event="
          + attempt.event()
          + (attempt.action() == null ? "" : "." + attempt.action())
          + " delivered_at="
          + attempt.deliveredAt();
    }
  }

  @Override
  int run() {
    if (failed == !ids.isEmpty()) {
      throw new UsageException("give delivery ids, or --failed with filters");
    }
    if (!failed && !filters.isEmpty()) {
      throw new UsageException(
          "--since, --until, --event, --action, --guid and"
              + " --workflow-job-id apply to --failed only");
    }
    if (limit < 1) {
      throw new UsageException("--limit must be at least 1");
    }
    GitHubClient client = client();
    List<Target> targets =
        failed ? planFailed(client) : ids.stream().map(id -> new Target(id, null)).toList();
    int failures = 0;
    for (Target target : targets) {
      failures += redeliver(client, target) ? 0 : 1;
    }
    if (failures > 0) {
      throw new IllegalStateException(failures + " of " + targets.size() + " redeliveries failed");
    }
    return ok();
  }

  private boolean redeliver(GitHubClient client, Target target) {
    if (dryRun) {
      out().println("would redeliver " + target.describe());
      return true;
    }
    try {
      client.redeliver(target.id());
      out().println("redelivered " + target.describe());
      return true;
    } catch (GitHubException e) {
      out().println("failed " + target.describe() + ": " + ExitCodes.oneLine(e.getMessage()));
      return false;
    } finally {
      out().flush();
    }
  }

  /** Scans the window with successes included, since a success is what makes a GUID done. */
  private List<Target> planFailed(GitHubClient client) {
    List<DeliverySummary> attempts = new ArrayList<>();
    DeliveryFilter filter = filters.filter(now(), null);
    new DeliveryScanner(client, filters.parallelism(), progress())
        .scan(filter, Integer.MAX_VALUE, attempts::add);
    endProgress();
    List<RedeliveryDecision> plan = RedeliveryPlanner.unbounded().plan(attempts);
    List<Target> targets = new ArrayList<>();
    int delivered = 0;
    for (RedeliveryDecision decision : plan) {
      // Java 17 has no pattern switch; GivenUp cannot occur with an unbounded planner.
      if (decision instanceof RedeliveryDecision.Redeliver r && targets.size() < limit) {
        targets.add(new Target(r.attempt().id(), r.attempt()));
      } else if (decision instanceof RedeliveryDecision.AlreadyDelivered) {
        delivered++;
      }
    }
    err()
        .println(
            "planned "
                + targets.size()
                + " redeliveries; "
                + delivered
                + " events already delivered; "
                + attempts.size()
                + " attempts scanned");
    return targets;
  }
}
