package dev.runway.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.ingest.inbox.Delivery;
import dev.runway.testing.Signed;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PayloadsTest {
  final Payloads payloads = new Payloads(new ObjectMapper());

  Delivery parse(String event, String body) throws Exception {
    return payloads.parse("g", event, 7L, Instant.EPOCH, body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void extracts_action_installation_and_job_id_from_a_workflow_job() throws Exception {
    Delivery d = parse("workflow_job", Signed.workflowJob("queued", 42, "linux"));
    assertThat(d.action()).isEqualTo("queued");
    assertThat(d.installationId()).isEqualTo(4242);
    assertThat(d.workflowJobId()).isEqualTo(42);
    assertThat(d.hookId()).isEqualTo(7);
  }

  @Test
  void a_job_id_is_kept_only_for_workflow_job_events() throws Exception {
    Delivery d =
        parse(
            "installation",
            "{\"action\":\"created\",\"workflow_job\":{\"id\":1},\"installation\":{\"id\":5,\"account\":{\"id\":9}}}");
    assertThat(d.workflowJobId()).isNull();
    assertThat(d.installationId()).isEqualTo(5);
  }

  @Test
  void nested_ids_do_not_shadow_the_top_level_ones() throws Exception {
    Delivery d =
        parse(
            "workflow_job",
            "{\"workflow_job\":{\"steps\":[{\"id\":99}],\"id\":3},\"installation\":{\"account\":{\"id\":8},\"id\":4}}");
    assertThat(d.workflowJobId()).isEqualTo(3);
    assertThat(d.installationId()).isEqualTo(4);
    assertThat(d.action()).isNull();
  }

  @Test
  void anything_but_one_complete_json_object_is_malformed() {
    for (String bad :
        new String[] {
          "", "[]", "42", "{\"a\":", "{\"a\":1} {\"b\":2}", "{\"a\":[1,}", "{'a':1}", "{\"a\":1}x"
        }) {
      assertThatThrownBy(() -> parse("workflow_job", bad))
          .as(bad)
          .isInstanceOf(Payloads.MalformedPayload.class);
    }
  }
}
