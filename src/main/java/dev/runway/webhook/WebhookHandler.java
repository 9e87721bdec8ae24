package dev.runway.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.http.HttpRoutes;
import dev.runway.http.Listeners;
import dev.runway.inbox.Delivery;
import dev.runway.telemetry.Metrics;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code POST /webhooks/github}: verify, bound, parse, store durably, answer. Nothing on this path
 * waits without a deadline: the body read is bounded by size, the database by {@link Intake}'s
 * budget, the spool by one fsync.
 */
public final class WebhookHandler implements HttpRoutes {
  private static final Logger log = LoggerFactory.getLogger(WebhookHandler.class);

  /** GitHub caps payloads at 25 MB. */
  public static final int MAX_BODY_BYTES = 25 * 1024 * 1024;

  /** Events Runway keeps; any other event is acknowledged and counted, and its body dropped. */
  static final Set<String> STORED_EVENTS =
      Set.of("workflow_job", "ping", "installation", "installation_repositories");

  private static final Pattern GUID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final Pattern EVENT_NAME = Pattern.compile("[a-z_]{1,64}");

  private final SignatureVerifier verifier;
  private final Payloads payloads;
  private final Intake intake;
  private final Metrics metrics;
  private final ObjectMapper json;
  private final Clock clock;

  public WebhookHandler(
      SignatureVerifier verifier,
      Payloads payloads,
      Intake intake,
      Metrics metrics,
      ObjectMapper json,
      Clock clock) {
    this.verifier = verifier;
    this.payloads = payloads;
    this.intake = intake;
    this.metrics = metrics;
    this.json = json;
    this.clock = clock;
  }

  public void handle(Context ctx) throws IOException {
    long start = System.nanoTime();
    String event = ctx.header("X-GitHub-Event");
    String guid = ctx.header("X-GitHub-Delivery");
    MDC.put("delivery", guid != null && GUID.matcher(guid).matches() ? guid : "-");
    try {
      WebhookVerdict verdict = evaluate(ctx, event, guid);
      respond(ctx, verdict);
      String label = verdict instanceof WebhookVerdict.RejectedSignature ? "unverified" : event;
      metrics.webhookRequest(eventLabel(label), verdict.result(), System.nanoTime() - start);
      logVerdict(event, verdict);
    } finally {
      MDC.remove("delivery");
    }
  }

  private WebhookVerdict evaluate(Context ctx, String event, String guid) throws IOException {
    long declared = ctx.req().getContentLengthLong();
    if (declared > MAX_BODY_BYTES) {
      return new WebhookVerdict.TooLarge(MAX_BODY_BYTES);
    }
    byte[] body = readBounded(ctx.req().getInputStream(), declared);
    if (body == null) {
      return new WebhookVerdict.TooLarge(MAX_BODY_BYTES);
    }
    if (!verifier.verify(ctx.header("X-Hub-Signature-256"), body)) {
      return new WebhookVerdict.RejectedSignature();
    }
    if (event == null || !EVENT_NAME.matcher(event).matches()) {
      return new WebhookVerdict.BadRequest("missing or invalid X-GitHub-Event header");
    }
    if (guid == null || !GUID.matcher(guid).matches()) {
      return new WebhookVerdict.BadRequest("missing or invalid X-GitHub-Delivery header");
    }
    if (!STORED_EVENTS.contains(event)) {
      return new WebhookVerdict.IgnoredEvent(guid);
    }
    Delivery delivery;
    try {
      delivery =
          payloads.parse(
              guid, event, hookId(ctx.header("X-GitHub-Hook-ID")), clock.instant(), body);
    } catch (Payloads.MalformedPayload e) {
      return new WebhookVerdict.BadRequest(e.getMessage());
    }
    return intake.accept(delivery).verdict(guid);
  }

  /**
   * Reads at most {@link #MAX_BODY_BYTES}; returns null as soon as the body is longer, without
   * reading the rest, so a chunked body without a length cannot make the buffer grow unbounded.
   */
  static byte[] readBounded(InputStream in, long declared) throws IOException {
    int initial = declared > 0 ? (int) declared : 16 * 1024;
    ByteArrayOutputStream out = new ByteArrayOutputStream(initial);
    byte[] chunk = new byte[16 * 1024];
    int n;
    while ((n = in.read(chunk)) != -1) {
      if (out.size() + n > MAX_BODY_BYTES) {
        return null;
      }
      out.write(chunk, 0, n);
    }
    return out.toByteArray();
  }

  private void respond(Context ctx, WebhookVerdict v) throws IOException {
    if (v instanceof WebhookVerdict.Unavailable) {
      ctx.header("Retry-After", "30");
    }
    if (v instanceof WebhookVerdict.TooLarge) {
      // The rest of the body is not read; the connection cannot be reused.
      ctx.header("Connection", "close");
    }
    ctx.status(v.status()).contentType("application/json").result(json.writeValueAsBytes(v.body()));
  }

  /** Logs once per request, at the edge; never the body or a signature. */
  private static void logVerdict(String event, WebhookVerdict v) {
    if (v.status() >= 500) {
      log.error("refused {} delivery: {}", event, v.body().get("error"));
    } else if (v.status() >= 400) {
      log.warn("rejected {} request: {}", v.result(), v.body().get("error"));
    } else {
      log.debug("{} {} delivery", v.result(), event);
    }
  }

  /** Keeps the metric's label set bounded: header values are not trusted as label values. */
  private static String eventLabel(String event) {
    return event != null && EVENT_NAME.matcher(event).matches() ? event : "unknown";
  }

  private static Long hookId(String header) {
    try {
      return header == null ? null : Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  @Override
  public void register(Listeners listeners) {
    listeners.publicPort().post("/webhooks/github", this::handle);
  }
}
