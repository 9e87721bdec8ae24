package dev.runway.archfixture.ui;

import dev.runway.ingest.inbox.InboxRepository;

/** A page that reads a feature's table through its repository, not through its read API. */
public final class ReadsRepository {
  public InboxRepository inbox() {
    return new InboxRepository();
  }
}
