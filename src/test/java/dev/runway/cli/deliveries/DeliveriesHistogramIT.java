package dev.runway.cli.deliveries;

import static dev.runway.cli.deliveries.CliHarness.NOW;
import static dev.runway.platform.github.GitHubStub.delivery;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.platform.github.DeliverySummary;
import dev.runway.platform.github.TestKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveriesHistogramIT {

  private static final TestKeys KEYS = TestKeys.generate();

  @TempDir Path tempDir;
  private CliHarness cli;

  @BeforeEach
  void start() {
    cli = new CliHarness(KEYS, tempDir);
    // Hand-counted: (workflow_job, queued, 200) x3, (workflow_job, queued, 0) x2,
    // (workflow_job, queued, 502) x2, (ping, null, 200) x1, (workflow_job, completed, 200) x1,
    // spread over two pages; one more attempt lies before --since 2h.
    List<DeliverySummary> all = new ArrayList<>();
    String[][] rows = {
      {"workflow_job", "queued", "200"}, {"workflow_job", "queued", "502"},
      {"workflow_job", "queued", "0"}, {"ping", null, "200"},
      {"workflow_job", "queued", "200"}, {"workflow_job", "completed", "200"},
      {"workflow_job", "queued", "0"}, {"workflow_job", "queued", "502"},
      {"workflow_job", "queued", "200"}, {"workflow_job", "queued", "200"}
    };
    for (int i = 0; i < rows.length; i++) {
      long minutesAgo = i == rows.length - 1 ? 180 : i + 1;
      all.add(
          delivery(
              100 - i,
              "g" + i,
              NOW.minusSeconds(60 * minutesAgo),
              rows[i][0],
              rows[i][1],
              Integer.parseInt(rows[i][2])));
    }
    cli.github.stubDeliveriesPages(List.of(all.subList(0, 5), all.subList(5, all.size())));
  }

  @AfterEach
  void stop() {
    cli.close();
  }

  @Test
  void histogram_counts_match_the_hand_computed_fixture() {
    CliHarness.Result result = cli.run("histogram", "--since", "2h");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines().map(line -> line.replaceAll("\\s+", " ").trim()).toList())
        .containsExactly(
            "EVENT ACTION STATUS_CODE COUNT",
            "workflow_job queued 200 3",
            "workflow_job queued 0 2",
            "workflow_job queued 502 2",
            "ping - 200 1",
            "workflow_job completed 200 1");
  }

  @Test
  void histogram_as_json_has_the_grouping_fields_and_count() throws Exception {
    CliHarness.Result result = cli.run("histogram", "--since", "2h", "--format", "json");

    assertThat(new ObjectMapper().readTree(result.out()))
        .isEqualTo(
            new ObjectMapper()
                .readTree(
                    "[{\"event\":\"workflow_job\",\"action\":\"queued\",\"status_code\":200,\"count\":3},"
                        + "{\"event\":\"workflow_job\",\"action\":\"queued\",\"status_code\":0,\"count\":2},"
                        + "{\"event\":\"workflow_job\",\"action\":\"queued\",\"status_code\":502,\"count\":2},"
                        + "{\"event\":\"ping\",\"action\":null,\"status_code\":200,\"count\":1},"
                        + "{\"event\":\"workflow_job\",\"action\":\"completed\",\"status_code\":200,\"count\":1}]"));
  }

  @Test
  void histogram_groups_by_the_requested_fields() {
    CliHarness.Result result = cli.run("histogram", "--by", "event,success", "--status", "success");

    assertThat(result.out().lines().map(line -> line.replaceAll("\\s+", " ").trim()).toList())
        .containsExactly("EVENT SUCCESS COUNT", "workflow_job true 5", "ping true 1");
  }

  @Test
  void an_unknown_grouping_field_is_a_usage_error() {
    CliHarness.Result result = cli.run("histogram", "--by", "colour");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines()).singleElement().asString().contains("--by colour");
  }
}
