package dev.runway.ingest.webhook;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answer to one webhook request. Each verdict has its HTTP status and its {@code result} label
 * of {@code runway_webhook_requests_total}; both are contracts (see README). Every verdict must
 * implement both, so a new one cannot be added without deciding them.
 */
sealed interface WebhookVerdict {
  int status();

  String result();

  /**
   * Whether the answer was decided before the signature was verified. Such answers are counted
   * under {@code event="unverified"}: the sender's event header is not trusted as a label value.
   */
  default boolean beforeVerification() {
    return false;
  }

  /** The JSON body of the answer. */
  default Map<String, Object> body() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("result", result());
    return m;
  }

  /** Answers that acknowledge a delivery carry its GUID. */
  private static Map<String, Object> withGuid(WebhookVerdict v, String guid) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("result", v.result());
    m.put("guid", guid);
    return m;
  }

  private static Map<String, Object> withError(WebhookVerdict v, String error) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("result", v.result());
    m.put("error", error);
    return m;
  }

  record Accepted(String guid) implements WebhookVerdict {
    public int status() {
      return 202;
    }

    public String result() {
      return "accepted";
    }

    public Map<String, Object> body() {
      return withGuid(this, guid);
    }
  }

  record Duplicate(String guid) implements WebhookVerdict {
    public int status() {
      return 200;
    }

    public String result() {
      return "duplicate";
    }

    public Map<String, Object> body() {
      return withGuid(this, guid);
    }
  }

  record Spooled(String guid) implements WebhookVerdict {
    public int status() {
      return 202;
    }

    public String result() {
      return "spooled";
    }

    public Map<String, Object> body() {
      return withGuid(this, guid);
    }
  }

  record IgnoredEvent(String guid) implements WebhookVerdict {
    public int status() {
      return 202;
    }

    public String result() {
      return "ignored_event";
    }

    public Map<String, Object> body() {
      return withGuid(this, guid);
    }
  }

  record RejectedSignature() implements WebhookVerdict {
    public boolean beforeVerification() {
      return true;
    }

    public int status() {
      return 401;
    }

    public String result() {
      return "rejected_signature";
    }

    public Map<String, Object> body() {
      return withError(this, "X-Hub-Signature-256 is missing or does not match any secret");
    }
  }

  record BadRequest(String reason) implements WebhookVerdict {
    public int status() {
      return 400;
    }

    public String result() {
      return "bad_request";
    }

    public Map<String, Object> body() {
      return withError(this, reason);
    }
  }

  record TooLarge(long limit) implements WebhookVerdict {
    public boolean beforeVerification() {
      return true;
    }

    public int status() {
      return 413;
    }

    public String result() {
      return "too_large";
    }

    public Map<String, Object> body() {
      return withError(this, "body exceeds " + limit + " bytes");
    }
  }

  /**
   * The body did not arrive within {@code RUNWAY_WEBHOOK_BODY_TIMEOUT}. Counted as {@code
   * bad_request}: the request was not one GitHub sends (GitHub sends its whole body at once).
   */
  record SlowBody(java.time.Duration timeout) implements WebhookVerdict {
    public boolean beforeVerification() {
      return true;
    }

    public int status() {
      return 408;
    }

    public String result() {
      return "bad_request";
    }

    public Map<String, Object> body() {
      return withError(this, "body not received within " + timeout.toMillis() + " ms");
    }
  }

  /** Nothing could store the delivery durably: the one 5xx the endpoint gives. */
  record Unavailable(String reason) implements WebhookVerdict {
    public int status() {
      return 503;
    }

    public String result() {
      return "unavailable";
    }

    public Map<String, Object> body() {
      return withError(this, "cannot store the delivery durably: " + reason);
    }
  }

  /**
   * Neither memory nor spill disk is left for unverified bodies: a flood is on. Counted as {@code
   * unavailable} under {@code event="unverified"}; the body was not read, so nothing was accepted.
   */
  record Overloaded(java.time.Duration retryAfter) implements WebhookVerdict {
    public int status() {
      return 503;
    }

    public String result() {
      return "unavailable";
    }

    public boolean beforeVerification() {
      return true;
    }

    public Map<String, Object> body() {
      return withError(this, "too many unverified bodies in flight; retry later");
    }
  }
}
