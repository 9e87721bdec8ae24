package dev.runway.cli.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runway.cli.Choices;
import dev.runway.cli.CliEnv;
import dev.runway.cli.DatabaseOptions;
import dev.runway.cli.ExitCodes;
import dev.runway.cli.Output;
import dev.runway.cli.credentials.ClientFactory;
import dev.runway.cli.credentials.CredentialsMixin;
import dev.runway.dispatch.DispatchQueue;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.ingest.webhook.DeliveryWriter;
import dev.runway.ledger.Audit;
import dev.runway.ledger.Sweep;
import dev.runway.platform.db.Database;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.RequestObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code runway audit}: what GitHub has queued or running against Runway's jobs. Exits {@link
 * ExitCodes#DIFFERENCES} when they differ, so a cron job or a CI check can alert on it.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "Compare GitHub's queued and in-progress jobs with Runway's jobs and print each difference:",
      "missing (GitHub has it, Runway has no row), stale (Runway has it queued or running,",
      "GitHub has completed it), mismatched (the status disagrees in another way).",
      "Exit 0 with no difference, 3 with one. --fix repairs them through the sweep's path."
    })
public final class AuditCommand implements Callable<Integer> {
  @Mixin DatabaseOptions db;
  @Mixin CredentialsMixin credentials;
  @Spec CommandSpec spec;

  @Option(names = "--installation", paramLabel = "ID", description = "only this installation")
  Long installation;

  @Option(
      names = "--since",
      defaultValue = "24h",
      description =
          "only jobs created or received since (ISO-8601 or age; default ${DEFAULT-VALUE})")
  String since;

  @Option(
      names = "--format",
      defaultValue = "table",
      completionCandidates = Choices.TableOrJson.class,
      description = "one of ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
  String format;

  @Option(
      names = "--fix",
      description = "dispatch the missing jobs and move the stale ones forward")
  boolean fix;

  private ClientFactory clientFactory = ClientFactory.standard();

  /** Builds the GitHub client from resolved credentials; tests may replace it. */
  public AuditCommand withClientFactory(ClientFactory clientFactory) {
    this.clientFactory = clientFactory;
    return this;
  }

  @Override
  public Integer call() throws Exception {
    Instant from = JobsCommand.since(since);
    Map<String, String> env = CliEnv.of(spec);
    GitHubClient github =
        clientFactory.create(credentials.resolve(env), Clock.systemUTC(), RequestObserver.none());
    List<Audit.Difference> all = new ArrayList<>();
    int fixed = 0;
    try (Database d = db.open(env)) {
      Audit audit =
          new Audit(
              d.main(),
              new Sweep(
                  d.main(),
                  github,
                  // Zero hold: db-scheduler picks the task up whether or not the service batches.
                  new DeliveryWriter(new InboxRepository(), DispatchQueue.handoff(Duration.ZERO)),
                  new SimpleMeterRegistry(),
                  Clock.systemUTC()));
      for (long i : audit.installations(installation)) {
        List<Audit.Difference> found = audit.differences(i, from);
        all.addAll(found);
        if (fix) {
          for (Audit.Difference diff : found) {
            if (audit.fix(diff)) {
              fixed++;
            }
          }
        }
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if ("json".equals(format)) {
      ObjectMapper json = new ObjectMapper();
      ObjectNode root = json.createObjectNode();
      for (String kind : List.of("missing", "stale", "mismatched")) {
        ArrayNode list = root.putArray(kind);
        for (Audit.Difference diff : all) {
          if (diff.kind().equals(kind)) {
            ObjectNode e = list.addObject();
            e.put("job_id", diff.jobId());
            e.put("repository", diff.repository());
            e.put("github_status", diff.githubStatus());
            e.put("runway_status", diff.runwayStatus());
          }
        }
      }
      out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    } else {
      List<List<?>> rows = new ArrayList<>();
      for (Audit.Difference diff : all) {
        rows.add(
            List.of(
                diff.kind(),
                diff.jobId(),
                diff.repository(),
                diff.githubStatus(),
                diff.runwayStatus() == null ? "-" : diff.runwayStatus()));
      }
      Output.table(out, List.of("KIND", "JOB", "REPOSITORY", "GITHUB", "RUNWAY"), rows);
    }
    if (fix) {
      spec.commandLine().getErr().println(fixed + " delivery(ies) written for dispatch");
      spec.commandLine().getErr().flush();
    }
    out.flush();
    return all.isEmpty() ? ExitCodes.OK : ExitCodes.DIFFERENCES;
  }
}
