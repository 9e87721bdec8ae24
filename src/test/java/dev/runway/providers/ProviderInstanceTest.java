package dev.runway.providers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ProviderInstanceTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void reads_garms_instance_with_its_fault_as_base64_bytes() throws Exception {
    ProviderInstance i =
        ProviderInstance.parse(
            json,
            "{\"provider_id\":\"i-1\",\"name\":\"runway-vm-1\",\"os_type\":\"linux\","
                + "\"status\":\"error\",\"provider_fault\":\"cXVvdGEgZXhjZWVkZWQ=\"}");
    assertThat(i).isEqualTo(new ProviderInstance("i-1", "runway-vm-1", "error", "quota exceeded"));
    assertThat(i.faulty()).isTrue();
    assertThat(i.id()).isEqualTo("i-1");
  }

  @Test
  void a_running_instance_without_provider_id_is_addressed_by_name() throws Exception {
    ProviderInstance i =
        ProviderInstance.parse(json, "{\"name\":\"runway-vm-1\",\"status\":\"running\"}");
    assertThat(i.faulty()).isFalse();
    assertThat(i.id()).isEqualTo("runway-vm-1");
  }

  @Test
  void a_list_must_be_an_array_of_instances() throws Exception {
    assertThat(ProviderInstance.parseList(json, "")).isEmpty();
    assertThat(ProviderInstance.parseList(json, "null")).isEmpty();
    assertThat(ProviderInstance.parseList(json, "[{\"name\":\"a\"},{\"provider_id\":\"b\"}]"))
        .extracting(ProviderInstance::id)
        .containsExactly("a", "b");
    assertThatThrownBy(() -> ProviderInstance.parseList(json, "{}"))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> ProviderInstance.parse(json, "{\"status\":\"running\"}"))
        .isInstanceOf(IOException.class);
  }
}
