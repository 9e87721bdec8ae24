package dev.runway.providers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runway.pools.ProviderSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProviderExecutableTest {
  @TempDir Path dir;
  private final ExecutorService readers = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    readers.shutdownNow();
  }

  private ProviderExecutable executable(String body, Duration timeout) throws Exception {
    Path script = dir.resolve("provider");
    Files.writeString(script, "#!/bin/sh\n" + body + "\n");
    script.toFile().setExecutable(true);
    ObjectNode extra = new ObjectMapper().createObjectNode().put("disk", 20);
    ProviderSpec spec =
        new ProviderSpec(
            script,
            dir.resolve("config.toml"),
            "img",
            "small",
            "linux",
            "amd64",
            extra,
            Duration.ofMinutes(20),
            timeout,
            0,
            5);
    return new ProviderExecutable(spec, "controller-1", "pool-1", readers);
  }

  @Test
  void create_gets_garms_environment_and_the_bootstrap_on_stdin_and_no_arguments()
      throws Exception {
    ProviderExecutable p =
        executable(
            "echo \"$# $GARM_COMMAND $GARM_CONTROLLER_ID $GARM_POOL_ID $GARM_INTERFACE_VERSION"
                + " $GARM_POOL_EXTRASPECS ${GARM_INSTANCE_ID:-none} ${RUNWAY_DATABASE_PASSWORD:-gone}\""
                + " $GARM_PROVIDER_CONFIG_FILE; cat",
            Duration.ofSeconds(30));
    ProviderCall call = p.create("{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8), List.of());
    assertThat(call).isInstanceOf(ProviderCall.Ok.class);
    String extra =
        Base64.getEncoder().encodeToString("{\"disk\":20}".getBytes(StandardCharsets.UTF_8));
    assertThat(((ProviderCall.Ok) call).stdout())
        .isEqualTo(
            "0 CreateInstance controller-1 pool-1 v0.1.1 "
                + extra
                + " none gone "
                + dir.resolve("config.toml")
                + "\n{\"name\":\"x\"}");
  }

  @Test
  void delete_names_the_instance_and_exit_code_30_is_not_found() throws Exception {
    ProviderExecutable p =
        executable("[ \"$GARM_INSTANCE_ID\" = i-1 ] && exit 0; exit 30", Duration.ofSeconds(30));
    assertThat(p.delete("i-1")).isInstanceOf(ProviderCall.Ok.class);
    assertThat(p.delete("i-2")).isInstanceOf(ProviderCall.NotFound.class);
  }

  @Test
  void a_failure_keeps_the_last_stderr_line_without_the_calls_secrets() throws Exception {
    ProviderExecutable p =
        executable("echo first >&2; echo \"bad token $(cat)\" >&2; exit 3", Duration.ofSeconds(30));
    ProviderCall call = p.create("s3cret".getBytes(StandardCharsets.UTF_8), List.of("s3cret"));
    assertThat(call).isEqualTo(new ProviderCall.Failed(3, "bad token <redacted>"));
  }

  @Test
  void a_call_past_its_timeout_is_destroyed_with_its_children() throws Exception {
    Path pid = dir.resolve("child.pid");
    ProviderExecutable p =
        executable("sleep 120 & echo $! > " + pid + "; sleep 120", Duration.ofSeconds(2));
    ProviderCall call = p.list();
    assertThat(call).isEqualTo(new ProviderCall.TimedOut(Duration.ofSeconds(2)));
    long child = Long.parseLong(Files.readString(pid).trim());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ProcessHandle.of(child).map(h -> !h.isAlive()).orElse(true));
  }

  @Test
  void a_missing_executable_is_not_started() {
    ProviderSpec spec =
        new ProviderSpec(
            dir.resolve("nothing-here"),
            dir.resolve("c"),
            "i",
            "f",
            "linux",
            "amd64",
            null,
            Duration.ofMinutes(1),
            Duration.ofSeconds(5),
            0,
            5);
    assertThat(new ProviderExecutable(spec, "c", "p", readers).list())
        .isInstanceOf(ProviderCall.NotStarted.class);
  }
}
