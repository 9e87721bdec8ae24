package dev.runway.ingest.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.ingest.inbox.Delivery;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.Listeners;
import dev.runway.platform.telemetry.Metrics;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code POST /webhooks/github}: verify, bound, parse, store durably, answer. Nothing on this path
 * waits without a deadline: the body read is bounded by size and by a deadline for the whole body
 * ({@link BodyReader}), the database by {@link Intake}'s budget, the spool by one fsync.
 */
public final class WebhookHandler implements HttpRoutes {
  private static final Logger log = LoggerFactory.getLogger(WebhookHandler.class);

  /** GitHub caps payloads at 25 MB. */
  public static final int MAX_BODY_BYTES = 25 * 1024 * 1024;

  /** Events Runway keeps; any other event is acknowledged and counted, and its body dropped. */
  static final Set<String> STORED_EVENTS =
      Set.of("workflow_job", "ping", "installation", "installation_repositories");

  private static final Pattern GUID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  /**
   * GitHub's event names are lowercase letters, digits and underscores ({@code projects_v2_item});
   * every such name is accepted.
   */
  static final Pattern EVENT_NAME = Pattern.compile("[a-z0-9_]{1,64}");

  /**
   * How soon a request refused for want of memory and spill disk may come back: a flood is measured
   * in seconds, and GitHub's redelivery (which the reconciler asks for) comes later.
   */
  static final Duration OVERLOADED_RETRY_AFTER = Duration.ofSeconds(5);

  private final SignatureVerifier verifier;
  private final Payloads payloads;
  private final Intake intake;
  private final Metrics metrics;
  private final ObjectMapper json;
  private final Clock clock;
  private final BodyReader bodies;
  private final UnverifiedBytes unverified;

  /**
   * @param bodyTimeout how long a sender may take to send the whole body; past it the request is
   *     answered 408 and its connection closed
   * @param unverifiedMemory the most bytes of not-yet-verified bodies held in memory across all
   *     requests; past it bodies spill to {@code spillDir}
   * @param spillDir where bodies past {@code unverifiedMemory} are held until verified; emptied
   *     here at start
   */
  public WebhookHandler(
      SignatureVerifier verifier,
      Payloads payloads,
      Intake intake,
      Metrics metrics,
      ObjectMapper json,
      Clock clock,
      Duration bodyTimeout,
      long unverifiedMemory,
      Path spillDir) {
    this.unverified =
        new UnverifiedBytes(unverifiedMemory, spillDiskCap(unverifiedMemory), spillDir).open();
    unverified.register(metrics.registry());
    this.bodies = new BodyReader(MAX_BODY_BYTES, bodyTimeout, System::nanoTime, unverified);
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
      // Before the signature is verified the event header is the sender's word, and a label
      // value taken from it would mint a series per request: one closed value instead.
      String label = verdict.beforeVerification() ? "unverified" : eventLabel(event);
      metrics.webhookRequest(label, verdict.result(), System.nanoTime() - start);
      logVerdict(label, verdict);
    } finally {
      MDC.remove("delivery");
    }
  }

  private WebhookVerdict evaluate(Context ctx, String event, String guid) throws IOException {
    long declared = ctx.req().getContentLengthLong();
    if (declared > MAX_BODY_BYTES) {
      return new WebhookVerdict.TooLarge(MAX_BODY_BYTES);
    }
    // Nothing is allocated from the declared length: memory follows the bytes that arrive, and
    // the bytes held unverified are bounded across all requests (UnverifiedBytes).
    SignatureVerifier.Digest digest = verifier.digest();
    byte[] body;
    BodyReader.Result read = bodies.read(ctx.req().getInputStream(), readTimeout(ctx), digest);
    if (read instanceof BodyReader.TooLarge) {
      return new WebhookVerdict.TooLarge(MAX_BODY_BYTES);
    } else if (read instanceof BodyReader.TooSlow) {
      return new WebhookVerdict.SlowBody(bodies.timeout());
    } else if (read instanceof BodyReader.Overloaded) {
      return new WebhookVerdict.Overloaded(OVERLOADED_RETRY_AFTER);
    }
    try (BodyReader.Body b = (BodyReader.Body) read) {
      if (!digest.matches(ctx.header("X-Hub-Signature-256"))) {
        return new WebhookVerdict.RejectedSignature();
      }
      // Verified: from here on the bytes are GitHub's, and no longer count as unverified.
      body = b.bytes();
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
   * The connection's idle timeout, lowered for each body read to what remains of the body deadline
   * and restored afterwards, so that a sender who stops sending is cut off at the deadline.
   */
  private static BodyReader.ReadTimeout readTimeout(Context ctx) {
    ServletContextRequest request = ServletContextRequest.getServletContextRequest(ctx.req());
    if (request == null) {
      return BodyReader.ReadTimeout.NONE;
    }
    EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
    long normal = endPoint.getIdleTimeout();
    return new BodyReader.ReadTimeout() {
      @Override
      public void limit(Duration remaining) {
        long ms = Math.max(1, remaining.toMillis());
        endPoint.setIdleTimeout(normal > 0 ? Math.min(normal, ms) : ms);
      }

      @Override
      public void restore() {
        endPoint.setIdleTimeout(normal);
      }
    };
  }

  private void respond(Context ctx, WebhookVerdict v) throws IOException {
    if (v instanceof WebhookVerdict.Unavailable) {
      ctx.header("Retry-After", "30");
    }
    if (v instanceof WebhookVerdict.Overloaded o) {
      ctx.header("Retry-After", String.valueOf(o.retryAfter().toSeconds()));
    }
    if (v instanceof WebhookVerdict.TooLarge
        || v instanceof WebhookVerdict.SlowBody
        || v instanceof WebhookVerdict.Overloaded) {
      // The rest of the body is not read; the connection cannot be reused.
      ctx.header("Connection", "close");
    }
    ctx.status(v.status()).contentType("application/json").result(json.writeValueAsBytes(v.body()));
  }

  /**
   * Spill disk for unverified bodies: a flood's worth (64 connections of 24 MB is 1.5 GiB) on top
   * of the memory cap, so that a real delivery spills rather than being refused, but bounded, so
   * that a flood cannot fill the disk the spool and the embedded database live on.
   */
  static long spillDiskCap(long unverifiedMemory) {
    return Math.max(2L << 30, 4 * unverifiedMemory);
  }

  /** Logs once per request, at the edge; never the body or a signature. */
  private static void logVerdict(String event, WebhookVerdict v) {
    if (v.status() >= 500 && !v.beforeVerification()) {
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
