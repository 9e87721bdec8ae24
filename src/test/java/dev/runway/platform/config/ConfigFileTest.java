package dev.runway.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileTest {
  @Test
  void the_file_fills_in_what_the_environment_does_not_set_and_the_environment_wins(
      @TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("runway.env"),
        """
        # written by the first shell
        RUNWAY_WEBHOOK_SECRETS=from-the-file
        export RUNWAY_POOLS="file:pools.yaml"
        RUNWAY_PORT='8080'
        RUNWAY_ADMIN_PORT=9091   # a comment after a value

        """);

    Map<String, String> env =
        ConfigFile.withFile(Map.of("RUNWAY_PORT", "9999", "HOME", "/root"), dir);

    assertThat(env)
        .containsEntry("RUNWAY_WEBHOOK_SECRETS", "from-the-file")
        .containsEntry("RUNWAY_POOLS", "file:pools.yaml")
        .containsEntry("RUNWAY_ADMIN_PORT", "9091")
        .containsEntry("RUNWAY_PORT", "9999")
        .containsEntry("HOME", "/root");
  }

  @Test
  void without_the_file_the_environment_is_used_as_it_is(@TempDir Path dir) {
    Map<String, String> env = Map.of("RUNWAY_PORT", "1");

    assertThat(ConfigFile.withFile(env, dir)).isSameAs(env);
  }

  @Test
  void RUNWAY_CONFIG_FILE_names_another_file_which_must_exist(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("prod.env"), "RUNWAY_PORT=7000\n");

    assertThat(ConfigFile.withFile(Map.of("RUNWAY_CONFIG_FILE", "prod.env"), dir))
        .containsEntry("RUNWAY_PORT", "7000");
    assertThatThrownBy(() -> ConfigFile.withFile(Map.of("RUNWAY_CONFIG_FILE", "gone.env"), dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("RUNWAY_CONFIG_FILE")
        .hasMessageContaining("gone.env");
  }

  @Test
  void a_malformed_line_is_named_by_its_number_and_its_value_is_not_quoted(@TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("runway.env"), "RUNWAY_PORT=1\nsecret-without-a-name\n");

    assertThatThrownBy(() -> ConfigFile.withFile(Map.of(), dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("line 2")
        .hasMessageNotContaining("secret-without-a-name");
  }
}
