package dev.runway.redelivery;

import dev.runway.platform.github.DeliveryPage;
import dev.runway.platform.github.DeliverySummary;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Pages through the App's deliveries, newest first, and hands the ones that pass a {@link
 * DeliveryFilter} to a consumer as they arrive.
 *
 * <p>Paging stops after the page that reaches past {@code since}, after the page on which {@code
 * limit} matches were handed out, or on the last page. With a job id filter, only {@code
 * workflow_job} candidates that passed every other filter are fetched in detail, a page at a time,
 * with at most {@code parallelism} requests in flight.
 */
public final class DeliveryScanner {

  /** Deliveries per list request: the API's maximum. */
  public static final int PAGE_SIZE = 100;

  private final GitHubClient client;
  private final int parallelism;
  private final Progress progress;

  /** Told about each page, for progress output. */
  @FunctionalInterface
  public interface Progress {
    void page(int pages, int scanned, int matched);

    static Progress none() {
      return (pages, scanned, matched) -> {};
    }
  }

  /** What a scan did. {@code limitReached} means more matches may exist. */
  public record Result(int pages, int scanned, int matched, boolean limitReached) {}

  public DeliveryScanner(GitHubClient client, int parallelism, Progress progress) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("--parallelism must be at least 1");
    }
    this.client = client;
    this.parallelism = parallelism;
    this.progress = progress;
  }

  /**
   * @param limit the most matches to hand out
   */
  public Result scan(DeliveryFilter filter, int limit, Consumer<DeliverySummary> sink) {
    String status = filter.status() == null ? null : filter.status().apiValue();
    ExecutorService details =
        filter.workflowJobId() == null ? null : Executors.newFixedThreadPool(parallelism);
    try {
      int pages = 0;
      int scanned = 0;
      int matched = 0;
      String cursor = null;
      while (true) {
        DeliveryPage page = client.listDeliveries(PAGE_SIZE, cursor, status);
        pages++;
        scanned += page.deliveries().size();
        boolean reachedSince = page.deliveries().stream().anyMatch(filter::isBeforeWindow);
        List<DeliverySummary> matches = page.deliveries().stream().filter(filter::matches).toList();
        if (details != null) {
          matches = withJob(matches, filter.workflowJobId(), details);
        }
        for (DeliverySummary match : matches) {
          if (matched == limit) {
            progress.page(pages, scanned, matched);
            return new Result(pages, scanned, matched, true);
          }
          sink.accept(match);
          matched++;
        }
        progress.page(pages, scanned, matched);
        cursor = page.nextCursor().orElse(null);
        if (cursor == null || reachedSince || matched == limit) {
          return new Result(
              pages, scanned, matched, matched == limit && cursor != null && !reachedSince);
        }
      }
    } finally {
      if (details != null) {
        details.shutdownNow();
      }
    }
  }

  private List<DeliverySummary> withJob(
      List<DeliverySummary> candidates, long jobId, ExecutorService details) {
    List<Future<Long>> jobIds = new ArrayList<>();
    for (DeliverySummary candidate : candidates) {
      jobIds.add(details.submit(() -> client.getDelivery(candidate.id()).workflowJobId()));
    }
    List<DeliverySummary> kept = new ArrayList<>();
    for (int i = 0; i < candidates.size(); i++) {
      if (await(jobIds.get(i)) == jobId) {
        kept.add(candidates.get(i));
      }
    }
    return kept;
  }

  private static long await(Future<Long> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while fetching delivery details", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GitHubException g) {
        throw g;
      }
      throw new IllegalStateException("fetching a delivery detail failed", e.getCause());
    }
  }
}
