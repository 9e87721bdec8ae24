package dev.runway.jobs;

import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.http.Listeners;
import io.javalin.http.Context;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import javax.sql.DataSource;

/**
 * {@code GET /api/v1/jobs}: the jobs Runway tracks, newest first, with the same filters as the CLI.
 */
public final class JobsApi implements HttpRoutes {
  private final DataSource ds;
  private final JobRepository jobs;
  private final JsonResponses out;

  public JobsApi(DataSource ds, JobRepository jobs, JsonResponses out) {
    this.ds = ds;
    this.jobs = jobs;
    this.out = out;
  }

  public void list(Context ctx) throws IOException, SQLException {
    JobRepository.Filter f;
    try {
      String since = ctx.queryParam("since");
      String limit = ctx.queryParam("limit");
      f =
          new JobRepository.Filter(
              ctx.queryParam("status"),
              ctx.queryParam("outcome"),
              ctx.queryParam("pool"),
              since == null ? null : Instant.parse(since),
              limit == null ? 100 : Integer.parseInt(limit));
    } catch (DateTimeParseException | NumberFormatException e) {
      out.send(ctx, 400, Map.of("error", "since must be an ISO-8601 instant, limit a number"));
      return;
    }
    if (f.limit() < 1 || f.limit() > 1000) {
      out.send(ctx, 400, Map.of("error", "limit must be between 1 and 1000"));
      return;
    }
    try (Connection c = ds.getConnection()) {
      out.send(ctx, 200, jobs.list(c, f));
    }
  }

  @Override
  public void register(Listeners listeners) {
    listeners.management().get("/api/v1/jobs", this::list);
  }
}
