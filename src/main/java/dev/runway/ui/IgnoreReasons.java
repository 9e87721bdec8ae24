package dev.runway.ui;

import dev.runway.jobs.Job;
import dev.runway.pools.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Why a job is not claimable, in words an operator can act on, from the outcome the dispatch worker
 * stored (and, for labels, today's pools: which of the job's labels no pool offers at all).
 */
final class IgnoreReasons {
  private IgnoreReasons() {}

  /**
   * The explanation of {@code job}'s ignore outcome; empty when it has none.
   *
   * @param pools the pools as the source lists them now, or empty when it cannot answer
   */
  static Optional<String> explain(Job job, Optional<List<Pool>> pools) {
    if (job.outcome() == null) {
      // A claimable job's only note: it was re-matched after its pool vanished.
      return Optional.ofNullable(job.outcomeDetail());
    }
    if (job.outcomeDetail() != null && job.outcomeDetail().startsWith("pool ")) {
      return Optional.of(job.outcomeDetail() + ". " + explainOutcome(job, pools));
    }
    return Optional.of(explainOutcome(job, pools));
  }

  private static String explainOutcome(Job job, Optional<List<Pool>> pools) {
    String owner = job.ownerLogin() == null ? "the owner" : job.ownerLogin();
    String detail = job.outcomeDetail();
    return switch (job.outcome()) {
      case "no_account" ->
          "No account: "
              + owner
              + " has no account in Runway, so its jobs are not dispatched. Add it with"
              + " `runway accounts set "
              + owner
              + " --enabled --max-concurrent N`, then redispatch.";
      case "runners_disabled" ->
          "Runners are disabled for "
              + owner
              + (detail == null ? "" : " (" + detail + ")")
              + ". Enable the account or raise its cap on the Accounts page, then redispatch.";
      case "no_matching_pool" -> noMatchingPool(job.labels(), pools);
      case "ambiguous_pool" ->
          "Several pools offer all of the job's labels: "
              + (detail == null ? "?" : detail.replace(",", ", "))
              + ". Give one of them a label the job asks for and the others lack, then"
              + " redispatch.";
      case "no_pools" ->
          "No pools are configured"
              + (detail == null ? "" : " (" + detail + ")")
              + ". Add a pool, then redispatch.";
      default -> job.outcome() + (detail == null ? "" : ": " + detail);
    };
  }

  private static String noMatchingPool(List<String> labels, Optional<List<Pool>> pools) {
    StringBuilder s =
        new StringBuilder("No pool offers all of the job's labels ")
            .append(String.join(", ", labels))
            .append('.');
    pools.ifPresent(
        ps -> {
          List<String> unknown = new ArrayList<>();
          for (String label : labels) {
            String l = label.toLowerCase(Locale.ROOT);
            boolean offered =
                ps.stream()
                    .anyMatch(
                        p ->
                            p.labels().stream()
                                .anyMatch(pl -> pl.toLowerCase(Locale.ROOT).equals(l)));
            if (!offered && !l.equals("self-hosted")) {
              unknown.add(label);
            }
          }
          if (unknown.isEmpty()) {
            s.append(" Each label is offered by some pool, but no one pool offers them all.");
          } else {
            s.append(" No pool offers ").append(String.join(", ", unknown)).append(" at all.");
          }
        });
    return s.append(" Add or change a pool, then redispatch.").toString();
  }
}
