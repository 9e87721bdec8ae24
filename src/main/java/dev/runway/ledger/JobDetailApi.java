package dev.runway.ledger;

import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.http.Listeners;
import io.javalin.http.Context;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import javax.sql.DataSource;

/**
 * {@code GET /api/v1/jobs/{id}} (optionally {@code ?attempt=N}, else the latest attempt): the job,
 * the time of each stage of its wait, and, while it is not running, why it waits.
 */
public final class JobDetailApi implements HttpRoutes {
  private final DataSource ds;
  private final JobLedger ledger;
  private final JsonResponses out;

  public JobDetailApi(DataSource ds, JobLedger ledger, JsonResponses out) {
    this.ds = ds;
    this.ledger = ledger;
    this.out = out;
  }

  void one(Context ctx) throws IOException, SQLException {
    long id;
    Integer attempt;
    try {
      id = Long.parseLong(ctx.pathParam("id"));
      String a = ctx.queryParam("attempt");
      attempt = a == null ? null : Integer.parseInt(a);
    } catch (NumberFormatException e) {
      out.send(ctx, 400, Map.of("error", "the job id and attempt must be numbers"));
      return;
    }
    try (Connection c = ds.getConnection()) {
      var job = ledger.find(c, id, attempt);
      if (job.isEmpty()) {
        out.send(
            ctx, 404, Map.of("error", "no job " + id + (attempt == null ? "" : "/" + attempt)));
        return;
      }
      out.send(ctx, 200, ledger.detail(c, job.get()));
    }
  }

  @Override
  public void register(Listeners listeners) {
    listeners.management().get("/api/v1/jobs/{id}", this::one);
  }
}
