package dev.runway.cli.deliveries;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static dev.runway.cli.deliveries.CliHarness.NOW;
import static dev.runway.platform.github.GitHubStub.delivery;
import static dev.runway.platform.github.GitHubStub.jsonResponse;
import static dev.runway.platform.github.GitHubStub.workflowJobPayload;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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

class DeliveriesListIT {

  private static final TestKeys KEYS = TestKeys.generate();
  private final ObjectMapper json = new ObjectMapper();

  @TempDir Path tempDir;
  private CliHarness cli;

  @BeforeEach
  void start() {
    cli = new CliHarness(KEYS, tempDir);
  }

  @AfterEach
  void stop() {
    cli.close();
  }

  /** Deliveries one minute apart, newest first, starting {@code firstMinutesAgo} before NOW. */
  private static List<DeliverySummary> page(long firstId, int firstMinutesAgo, int count) {
    List<DeliverySummary> page = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long id = firstId - i;
      page.add(
          delivery(
              id,
              "guid-" + id,
              NOW.minusSeconds(60L * (firstMinutesAgo + i)),
              "workflow_job",
              "queued",
              200));
    }
    return page;
  }

  private List<Long> ids(String jsonArray) throws Exception {
    List<Long> ids = new ArrayList<>();
    json.readTree(jsonArray).forEach(node -> ids.add(node.get("id").asLong()));
    return ids;
  }

  @Test
  void list_stops_paging_at_since_cut() throws Exception {
    // Page 1: 1..3 minutes ago; page 2: 4..6; page 3: 7..9. --since 5m cuts page 2 in the middle.
    cli.github.stubDeliveriesPages(List.of(page(309, 1, 3), page(306, 4, 3), page(303, 7, 3)));

    CliHarness.Result result = cli.run("list", "--since", "5m");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(ids(result.out())).containsExactly(309L, 308L, 307L, 306L, 305L);
    assertThat(cli.github.listRequests()).isEqualTo(2);
    cli.github
        .server()
        .verify(
            getRequestedFor(urlPathEqualTo("/app/hook/deliveries"))
                .withQueryParam("per_page", equalTo("100")));
    cli.github
        .server()
        .verify(
            getRequestedFor(urlPathEqualTo("/app/hook/deliveries"))
                .withQueryParam("cursor", equalTo("page-2")));
  }

  @Test
  void list_of_no_deliveries_prints_an_empty_array() throws Exception {
    cli.github.stubDeliveriesPages(List.of());

    CliHarness.Result result = cli.run("list");

    assertThat(result.exitCode()).isZero();
    assertThat(json.readTree(result.out()).isArray()).isTrue();
    assertThat(json.readTree(result.out())).isEmpty();
    assertThat(cli.github.listRequests()).isEqualTo(1);
  }

  @Test
  void list_follows_links_until_a_page_without_link_header() throws Exception {
    cli.github.stubDeliveriesPages(List.of(page(206, 1, 3), page(203, 4, 3)));

    CliHarness.Result result = cli.run("list");

    assertThat(ids(result.out())).containsExactly(206L, 205L, 204L, 203L, 202L, 201L);
    assertThat(cli.github.listRequests()).isEqualTo(2);
  }

  @Test
  void list_prints_exactly_the_summary_fields_in_snake_case() throws Exception {
    cli.github.stubDeliveriesPages(List.of(page(1, 1, 1)));

    JsonNode first = json.readTree(cli.run("list").out()).get(0);

    List<String> names = new ArrayList<>();
    first.fieldNames().forEachRemaining(names::add);
    assertThat(names)
        .containsExactly(
            "id",
            "guid",
            "delivered_at",
            "redelivery",
            "duration",
            "status",
            "status_code",
            "event",
            "action",
            "installation_id",
            "repository_id",
            "throttled_at");
    assertThat(first.get("delivered_at").asText()).isEqualTo("2026-05-19T15:59:00Z");
  }

  @Test
  void status_failure_is_honoured_when_the_server_ignores_the_parameter() throws Exception {
    cli.github.stubDeliveriesPages(
        List.of(
            List.of(
                delivery(5, "g5", NOW.minusSeconds(10), "workflow_job", "queued", 200),
                delivery(4, "g4", NOW.minusSeconds(20), "workflow_job", "queued", 502),
                delivery(3, "g3", NOW.minusSeconds(30), "ping", null, 0),
                delivery(2, "g2", NOW.minusSeconds(40), "workflow_job", "completed", 202))));

    CliHarness.Result result = cli.run("list", "--status", "failure");

    assertThat(ids(result.out())).containsExactly(4L, 3L);
    cli.github
        .server()
        .verify(
            getRequestedFor(urlPathEqualTo("/app/hook/deliveries"))
                .withQueryParam("status", equalTo("failure")));
  }

  @Test
  void workflow_job_id_fetches_details_only_for_workflow_job_deliveries_inside_the_window()
      throws Exception {
    List<DeliverySummary> first =
        List.of(
            delivery(10, "a", NOW.minusSeconds(60), "workflow_job", "completed", 200),
            delivery(9, "b", NOW.minusSeconds(120), "ping", null, 200),
            delivery(8, "c", NOW.minusSeconds(180), "workflow_job", "in_progress", 200),
            delivery(7, "d", NOW.minusSeconds(240), "installation", "created", 200),
            delivery(6, "e", NOW.minusSeconds(300), "workflow_job", "queued", 503),
            delivery(5, "f", NOW.minusSeconds(3600), "workflow_job", "queued", 200));
    List<DeliverySummary> second =
        List.of(delivery(4, "g", NOW.minusSeconds(7200), "workflow_job", "queued", 200));
    cli.github.stubDeliveriesPages(List.of(first, second));
    cli.github.stubDeliveryDetail(first.get(0), workflowJobPayload("completed", 777));
    cli.github.stubDeliveryDetail(first.get(2), workflowJobPayload("in_progress", 888));
    cli.github.stubDeliveryDetail(first.get(4), workflowJobPayload("queued", 777));
    cli.github.stubDeliveryDetail(first.get(5), workflowJobPayload("queued", 777));

    CliHarness.Result result =
        cli.run("list", "--workflow-job-id", "777", "--since", "30m", "--parallelism", "2");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(ids(result.out())).containsExactly(10L, 6L);
    assertThat(cli.github.detailRequests(10)).isEqualTo(1);
    assertThat(cli.github.detailRequests(8)).isEqualTo(1);
    assertThat(cli.github.detailRequests(6)).isEqualTo(1);
    assertThat(cli.github.detailRequests(9)).isZero();
    assertThat(cli.github.detailRequests(7)).isZero();
    assertThat(cli.github.detailRequests(5)).isZero();
    assertThat(cli.github.listRequests()).isEqualTo(1);
  }

  @Test
  void event_action_guid_and_until_filters_combine() throws Exception {
    cli.github.stubDeliveriesPages(
        List.of(
            List.of(
                delivery(5, "g5", NOW.minusSeconds(10), "workflow_job", "queued", 200),
                delivery(4, "g4", NOW.minusSeconds(600), "workflow_job", "queued", 200),
                delivery(3, "g3", NOW.minusSeconds(700), "workflow_job", "completed", 200),
                delivery(2, "g2", NOW.minusSeconds(800), "ping", null, 200))));

    assertThat(
            ids(
                cli.run("list", "--event", "workflow_job", "--action", "queued", "--until", "5m")
                    .out()))
        .containsExactly(4L);
    assertThat(ids(cli.run("list", "--guid", "g3").out())).containsExactly(3L);
    assertThat(ids(cli.run("list", "--until", NOW.minusSeconds(650).toString()).out()))
        .containsExactly(3L, 2L);
  }

  @Test
  void limit_bounds_the_output_and_the_paging() throws Exception {
    cli.github.stubDeliveriesPages(List.of(page(309, 1, 3), page(306, 4, 3), page(303, 7, 3)));

    CliHarness.Result result = cli.run("list", "--limit", "4");

    assertThat(ids(result.out())).containsExactly(309L, 308L, 307L, 306L);
    assertThat(cli.github.listRequests()).isEqualTo(2);
    assertThat(result.err()).contains("stopped at --limit 4");
  }

  @Test
  void ndjson_prints_one_delivery_per_line() throws Exception {
    cli.github.stubDeliveriesPages(List.of(page(3, 1, 3)));

    String out = cli.run("list", "--format", "ndjson").out();

    List<String> lines = out.lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(json.readTree(lines.get(2)).get("id").asLong()).isEqualTo(1);
  }

  @Test
  void table_prints_aligned_columns_under_a_header() {
    cli.github.stubDeliveriesPages(List.of(page(3, 1, 2)));

    List<String> lines = cli.run("list", "--format", "table").out().lines().toList();

    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("ID").contains("GUID", "EVENT", "CODE");
    assertThat(lines.get(1).indexOf("guid-3")).isEqualTo(lines.get(0).indexOf("GUID"));
  }

  @Test
  void progress_goes_to_stderr_only_when_it_is_a_terminal() {
    cli.github.stubDeliveriesPages(List.of(page(3, 1, 3)));

    assertThat(cli.run("list").err()).isEmpty();
    cli.stderrIsTerminal = true;
    assertThat(cli.run("list").err()).contains("scanned 3 deliveries on 1 pages");
  }

  @Test
  void a_server_error_is_retried_and_the_list_still_succeeds() throws Exception {
    cli.github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries"))
                .inScenario("flaky")
                .whenScenarioStateIs(STARTED)
                .willReturn(jsonResponse(502, "{\"message\":\"Server Error\"}"))
                .willSetStateTo("ok"));
    cli.github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries"))
                .inScenario("flaky")
                .whenScenarioStateIs("ok")
                .willReturn(jsonResponse(200, "[]")));

    CliHarness.Result result = cli.run("list");

    assertThat(result.exitCode()).isZero();
    assertThat(cli.github.listRequests()).isEqualTo(2);
    assertThat(cli.sleeper.waits()).hasSize(1);
  }

  @Test
  void an_api_failure_exits_1_with_one_line_on_stderr() {
    cli.github
        .server()
        .stubFor(
            get(urlPathEqualTo("/app/hook/deliveries"))
                .willReturn(jsonResponse(404, "{\"message\":\"Not Found\"}")));

    CliHarness.Result result = cli.run("list");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.out()).isEmpty();
    assertThat(result.err().lines()).singleElement().asString().contains("answered 404: Not Found");
  }

  @Test
  void bad_filter_values_are_usage_errors() {
    CliHarness.Result badSince = cli.run("list", "--since", "yesterday");
    CliHarness.Result badStatus = cli.run("list", "--status", "meh");

    assertThat(badSince.exitCode()).isEqualTo(2);
    assertThat(badSince.err().lines()).singleElement().asString().contains("--since yesterday");
    assertThat(badStatus.exitCode()).isEqualTo(2);
    assertThat(badStatus.err().lines()).singleElement().asString().contains("success, failure");
    assertThat(cli.github.listRequests()).isZero();
  }

  @Test
  void the_bare_command_prints_usage_and_exits_2() {
    CliHarness.Result result = cli.run();

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).contains("list", "histogram", "show", "redeliver");
  }
}
