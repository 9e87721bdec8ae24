package dev.runway.ingest.webhook;

import dev.runway.ingest.inbox.Delivery;
import dev.runway.ingest.inbox.InboxRepository;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/**
 * Stores deliveries the way both intake paths (the batcher and the spool drainer) must: the inbox
 * rows and the dispatch tasks of the new ones in the caller's one transaction, so they commit
 * together or not at all. The sweep of GitHub's queue ({@code ledger.Sweep}) writes the jobs it
 * found through it too, so one code path decides what a job's delivery does.
 */
public final class DeliveryWriter {
  /**
   * Hands the new deliveries' GUIDs to dispatch inside the caller's transaction. Dispatch provides
   * it ({@code DispatchQueue.handoff}); ingest names only this, so ingest does not depend on
   * dispatch, which reads the inbox.
   */
  @FunctionalInterface
  public interface Handoff {
    void enqueue(Connection c, List<String> guids) throws SQLException;
  }

  private final InboxRepository inbox;
  private final Handoff handoff;

  public DeliveryWriter(InboxRepository inbox, Handoff handoff) {
    this.inbox = inbox;
    this.handoff = handoff;
  }

  /** Returns the GUIDs that were new. */
  public Set<String> insert(Connection c, List<Delivery> deliveries, boolean viaSpool)
      throws SQLException {
    Set<String> inserted = inbox.insert(c, deliveries, viaSpool);
    handoff.enqueue(c, InboxRepository.toDispatch(deliveries, inserted));
    return inserted;
  }
}
