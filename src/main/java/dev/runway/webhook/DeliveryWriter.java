package dev.runway.webhook;

import dev.runway.dispatch.DispatchQueue;
import dev.runway.inbox.Delivery;
import dev.runway.inbox.InboxRepository;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Stores deliveries the way both intake paths (the batcher and the spool drainer) must: the inbox
 * rows and the dispatch tasks of the new ones in the caller's one transaction, so they commit
 * together or not at all. The sweep of GitHub's queue ({@code ledger.Sweep}) writes the jobs it
 * found through it too, so one code path decides what a job's delivery does.
 */
public final class DeliveryWriter {
  private final InboxRepository inbox;
  private final Duration schedulerHold;

  /** {@code schedulerHold}: see {@link DispatchQueue#SCHEDULER_HOLD}. */
  public DeliveryWriter(InboxRepository inbox, Duration schedulerHold) {
    this.inbox = inbox;
    this.schedulerHold = schedulerHold;
  }

  /** Returns the GUIDs that were new. */
  public Set<String> insert(Connection c, List<Delivery> deliveries, boolean viaSpool)
      throws SQLException {
    Set<String> inserted = inbox.insert(c, deliveries, viaSpool);
    DispatchQueue.enqueue(c, InboxRepository.toDispatch(deliveries, inserted), schedulerHold);
    return inserted;
  }
}
