package dev.runway.ingest.inbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.http.Listeners;
import io.javalin.http.Context;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * {@code GET /api/v1/deliveries}: the local inbox, newest first, with each delivery's outcome.
 * Payloads are shown only when one delivery is asked for by GUID.
 */
public final class DeliveriesApi implements HttpRoutes {
  private static final int MAX_LIMIT = 1000;

  private final DataSource ds;
  private final InboxRepository inbox;
  private final JsonResponses out;

  public DeliveriesApi(DataSource ds, InboxRepository inbox, JsonResponses out) {
    this.ds = ds;
    this.inbox = inbox;
    this.out = out;
  }

  public void list(Context ctx) throws IOException, SQLException {
    Instant since;
    int limit;
    try {
      String s = ctx.queryParam("since");
      since = s == null ? Instant.EPOCH : Instant.parse(s);
      String l = ctx.queryParam("limit");
      limit = l == null ? 100 : Integer.parseInt(l);
    } catch (DateTimeParseException | NumberFormatException e) {
      out.send(ctx, 400, Map.of("error", "since must be an ISO-8601 instant, limit a number"));
      return;
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      out.send(ctx, 400, Map.of("error", "limit must be between 1 and " + MAX_LIMIT));
      return;
    }
    out.send(ctx, 200, inbox.list(ds, since, ctx.queryParam("event"), limit));
  }

  public void one(Context ctx) throws IOException, SQLException {
    var found = inbox.find(ds, ctx.pathParam("guid"));
    if (found.isEmpty()) {
      out.send(ctx, 404, Map.of("error", "no delivery with that GUID in the inbox"));
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("delivery", found.get().entry());
    byte[] bytes = found.get().payload();
    // Retention drops a settled delivery's payload bytes after RUNWAY_RETENTION_PAYLOADS.
    JsonNode payload = bytes.length == 0 ? null : out.mapper().readTree(bytes);
    body.put("payload", payload);
    body.put("payload_pruned", bytes.length == 0);
    out.send(ctx, 200, body);
  }

  @Override
  public void register(Listeners listeners) {
    listeners.management().get("/api/v1/deliveries", this::list);
    listeners.management().get("/api/v1/deliveries/{guid}", this::one);
  }
}
