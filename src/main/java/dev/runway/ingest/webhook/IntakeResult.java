package dev.runway.ingest.webhook;

/** Where an accepted delivery ended up, or why it could not be stored at all. */
sealed interface IntakeResult {
  /** The answer this result gives to the webhook request for {@code guid}. */
  WebhookVerdict verdict(String guid);

  /** Committed to the inbox, with its dispatch task. */
  record Stored() implements IntakeResult {
    public WebhookVerdict verdict(String guid) {
      return new WebhookVerdict.Accepted(guid);
    }
  }

  /** The inbox already held this GUID: a redelivery or a retry. */
  record Duplicate() implements IntakeResult {
    public WebhookVerdict verdict(String guid) {
      return new WebhookVerdict.Duplicate(guid);
    }
  }

  /** Fsynced to the local spool; the drainer moves it into the database later. */
  record Spooled(String why) implements IntakeResult {
    public WebhookVerdict verdict(String guid) {
      return new WebhookVerdict.Spooled(guid);
    }
  }

  /** Neither the database nor the spool could take it; the caller must retry. */
  record Unavailable(String why) implements IntakeResult {
    public WebhookVerdict verdict(String guid) {
      return new WebhookVerdict.Unavailable(why);
    }
  }
}
