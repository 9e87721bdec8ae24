package dev.runway.ui;

import dev.runway.jobs.JobLoad;
import io.javalin.http.Context;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The overview: queue, runners, intake and the last hour of meters at a glance. */
final class OverviewPage extends Page {
  OverviewPage(OperatorUi.Sources src, Templates templates) {
    super(src, templates);
  }

  void overview(Context ctx, UiSessions.Session s) throws SQLException {
    Views.Frame frame = frame(s, "Overview", "overview");
    Instant now = src.clock().instant();
    List<Views.Chart> charts = new ArrayList<>();
    charts.add(
        chart(
            "webhooks",
            "Webhook requests by result",
            "per 10 s",
            src.history().series("webhooks")));
    charts.add(
        chart("depth", "Spool and queue depth", "deliveries", src.history().series("depth")));
    List<Views.QueueRow> queues = new ArrayList<>();
    try (Connection c = src.ds().getConnection()) {
      charts.add(
          chart(
              "latency",
              "Received → claimable",
              "seconds, per minute",
              latencySeries(JobLoad.claimableLatency(c, now.minus(MeterHistory.WINDOW)))));
      for (var e : JobLoad.byPool(c).entrySet()) {
        if (e.getValue().queued() > 0) {
          queues.add(
              new Views.QueueRow(
                  e.getKey(), e.getValue().queued(), ageSince(e.getValue().oldestQueued(), now)));
        }
      }
    }
    charts.add(
        chart("queued", "Jobs queued per pool", "claimable jobs", src.history().series("queued")));
    charts.add(chart("claims", "Claim results", "per 10 s", src.history().series("claims")));
    charts.add(
        chart("redeliveries", "Redeliveries", "per 10 s", src.history().series("redeliveries")));
    ctx.html(templates.render("overview.jte", new Views.OverviewPage(frame, charts, queues)));
  }

  /** The chart's two lines, mean and longest, one point a minute. */
  static MeterHistory.Series latencySeries(List<JobLoad.MinuteLatency> minutes) {
    Map<String, List<Double>> values = new TreeMap<>();
    values.put("mean", minutes.stream().map(JobLoad.MinuteLatency::meanSeconds).toList());
    values.put("longest", minutes.stream().map(JobLoad.MinuteLatency::longestSeconds).toList());
    return new MeterHistory.Series(
        minutes.stream().map(JobLoad.MinuteLatency::epochMinute).toList(), values);
  }

  Views.Chart chart(String id, String title, String unit, MeterHistory.Series series) {
    Map<String, Object> data = new TreeMap<>();
    data.put("x", series.xs());
    data.put("series", series.values());
    Instant now = src.clock().instant();
    data.put("from", now.minus(MeterHistory.WINDOW).getEpochSecond());
    data.put("to", now.getEpochSecond());
    try {
      return new Views.Chart(
          id, title, unit, dev.runway.platform.http.Json.mapper().writeValueAsString(data));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
