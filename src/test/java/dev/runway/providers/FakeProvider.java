package dev.runway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A GARM external provider (interface v0.1.1) for tests, run as its own process through a small
 * shell script: it keeps its instances as JSON files in a directory, and "boots" an instance by
 * running, in a detached process and as a real VM would, the calls of garm-provider-common's Linux
 * JIT bootstrap script against the metadata and callback URLs, with the instance token.
 *
 * <p>Its directory ({@code dir=} in the file {@code GARM_PROVIDER_CONFIG_FILE} names):
 *
 * <ul>
 *   <li>{@code instances/<name>.json}: the instances; {@code <name>.bootstrap.json}: what
 *       CreateInstance read; {@code <name>.boot}: what each bootstrap call answered;
 *   <li>{@code calls.log}: one line per call ({@code command instance-id pool-id}), and {@code
 *       argv.log}: each call's argv and environment, as the test inspects them for secrets;
 *   <li>{@code fail-create}: a number: that many CreateInstance calls fail (exit 1);
 *   <li>{@code no-boot}: when present, instances never boot.
 * </ul>
 */
public final class FakeProvider {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("boot")) {
      boot(Path.of(args[1]), args[2]);
      return;
    }
    Map<String, String> env = System.getenv();
    Properties config = new Properties();
    try (var in = Files.newInputStream(Path.of(env.get("GARM_PROVIDER_CONFIG_FILE")))) {
      config.load(in);
    }
    Path dir = Path.of(config.getProperty("dir"));
    Path instances = Files.createDirectories(dir.resolve("instances"));
    String command = env.getOrDefault("GARM_COMMAND", "");
    String instanceId = env.getOrDefault("GARM_INSTANCE_ID", "-");
    String poolId = env.getOrDefault("GARM_POOL_ID", "-");
    append(dir.resolve("calls.log"), command + " " + instanceId + " " + poolId);
    append(
        dir.resolve("argv.log"),
        command
            + " argv="
            + ProcessHandle.current().info().arguments().map(List::of).orElse(List.of())
            + " env="
            + env);
    if (env.get("GARM_CONTROLLER_ID") == null
        || !"v0.1.1".equals(env.get("GARM_INTERFACE_VERSION"))
        || env.get("GARM_POOL_EXTRASPECS") == null) {
      System.err.println("missing GARM environment");
      System.exit(1);
    }
    switch (command) {
      case "CreateInstance" -> create(dir, instances, poolId);
      case "DeleteInstance" -> {
        Path f = find(instances, instanceId);
        if (f == null) {
          System.exit(30);
        }
        Files.delete(f);
      }
      case "GetInstance" -> {
        Path f = find(instances, instanceId);
        if (f == null) {
          System.exit(30);
        }
        System.out.print(Files.readString(f));
      }
      case "ListInstances" -> {
        ArrayNode list = JSON.createArrayNode();
        for (Path f : instanceFiles(instances)) {
          JsonNode i = JSON.readTree(f.toFile());
          if (poolId.equals(i.path("pool_id").asText())) {
            list.add(i);
          }
        }
        System.out.print(list);
      }
      default -> {
        System.err.println("unknown command " + command);
        System.exit(1);
      }
    }
  }

  private static void create(Path dir, Path instances, String poolId) throws Exception {
    JsonNode bootstrap = JSON.readTree(System.in.readAllBytes());
    String name = bootstrap.path("name").asText();
    if (failThisCreate(dir)) {
      System.err.println("quota exceeded for " + name);
      System.exit(1);
    }
    boolean tools = false;
    for (JsonNode t : bootstrap.path("tools")) {
      tools |=
          t.path("os").asText().equals("linux") && t.path("architecture").asText().equals("x64");
    }
    if (!tools || !bootstrap.path("jit_config_enabled").asBoolean()) {
      System.err.println("no tools for linux/amd64, or not a JIT bootstrap");
      System.exit(1);
    }
    Files.writeString(instances.resolve(name + ".bootstrap.json"), bootstrap.toString());
    ObjectNode instance = JSON.createObjectNode();
    instance.put("provider_id", "fake-" + name);
    instance.put("name", name);
    instance.put("os_type", "linux");
    instance.put("os_name", "ubuntu");
    instance.put("os_arch", "x86_64");
    instance.put("status", "running");
    instance.put("pool_id", poolId);
    instance.put("provider_fault", "");
    Files.writeString(instances.resolve(name + ".json"), instance.toString());
    if (!Files.exists(dir.resolve("no-boot"))) {
      new ProcessBuilder(
              ProcessHandle.current().info().command().orElse("java"),
              "-cp",
              System.getProperty("java.class.path"),
              FakeProvider.class.getName(),
              "boot",
              dir.toString(),
              name)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(instances.resolve(name + ".boot.out").toFile())
          .redirectErrorStream(true)
          .start();
    }
    System.out.print(instance);
  }

  /** What the Linux JIT template does, in its order, stopping where it would stop. */
  private static void boot(Path dir, String name) throws Exception {
    Path instances = dir.resolve("instances");
    JsonNode bootstrap = JSON.readTree(instances.resolve(name + ".bootstrap.json").toFile());
    String token = bootstrap.path("instance-token").asText();
    String metadata = bootstrap.path("metadata-url").asText();
    String callback = bootstrap.path("callback-url").asText();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    List<String> results = new ArrayList<>();
    status(http, callback, token, "installing", "downloading JIT credentials", results);
    Path files = Files.createDirectories(instances.resolve(name + ".files"));
    for (String f :
        List.of(
            "credentials/runner",
            "credentials/credentials",
            "credentials/credentials_rsaparams",
            "system/service-name",
            "systemd/unit-file?runAsUser=runner")) {
      HttpResponse<byte[]> r =
          http.send(
              HttpRequest.newBuilder(URI.create(metadata + "/" + f))
                  .header("Accept", "application/json")
                  .header("Authorization", "Bearer " + token)
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      results.add("GET " + f + " " + r.statusCode());
      if (r.statusCode() != 200) {
        status(http, callback, token, "failed", "failed to get " + f, results);
        write(instances.resolve(name + ".boot"), results);
        return;
      }
      Files.write(files.resolve(f.replaceAll("[^a-z_]", "_")), r.body());
    }
    post(
        http,
        callback.replaceAll("/status/?$", "") + "/system-info/",
        token,
        "{\"os_name\": \"Ubuntu\", \"os_version\": \"24.04\", \"agent_id\": 1}",
        results);
    status(http, callback, token, "idle", "runner successfully installed", results);
    write(instances.resolve(name + ".boot"), results);
  }

  private static void status(
      HttpClient http, String callback, String token, String status, String msg, List<String> out)
      throws Exception {
    String url = callback.matches(".*/status/?$") ? callback : callback + "/status";
    post(http, url, token, "{\"status\": \"" + status + "\", \"message\": \"" + msg + "\"}", out);
  }

  private static void post(HttpClient http, String url, String token, String body, List<String> out)
      throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "application/json")
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    out.add("POST " + URI.create(url).getPath() + " " + r.statusCode());
  }

  private static void write(Path f, List<String> lines) throws IOException {
    Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
    Files.write(tmp, lines);
    Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Consumes one of the failures {@code fail-create} asks for, under a lock (calls overlap). */
  private static boolean failThisCreate(Path dir) throws IOException {
    Path counter = dir.resolve("fail-create");
    try (RandomAccessFile lockFile = new RandomAccessFile(dir.resolve("lock").toFile(), "rw");
        FileLock lock = lockFile.getChannel().lock()) {
      if (!Files.exists(counter)) {
        return false;
      }
      int left = Integer.parseInt(Files.readString(counter).trim());
      if (left <= 0) {
        return false;
      }
      Files.writeString(counter, String.valueOf(left - 1));
      return true;
    }
  }

  private static Path find(Path instances, String id) throws IOException {
    for (Path f : instanceFiles(instances)) {
      JsonNode i = JSON.readTree(f.toFile());
      if (id.equals(i.path("provider_id").asText()) || id.equals(i.path("name").asText())) {
        return f;
      }
    }
    return null;
  }

  static List<Path> instanceFiles(Path instances) throws IOException {
    if (!Files.isDirectory(instances)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(instances)) {
      return s.filter(
              p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".json") && !n.endsWith(".bootstrap.json");
              })
          .sorted()
          .toList();
    }
  }

  private static void append(Path f, String line) throws IOException {
    try (RandomAccessFile lockFile = new RandomAccessFile(f.resolveSibling("lock").toFile(), "rw");
        FileLock lock = lockFile.getChannel().lock()) {
      Files.writeString(
          f,
          line + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }

  /** Writes the executable Runway runs: a shell script that starts this class. */
  static Path install(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path script = dir.resolve("garm-provider-fake");
    String java = ProcessHandle.current().info().command().orElse("java");
    Files.writeString(
        script,
        "#!/bin/sh\nexec '"
            + java
            + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -cp '"
            + System.getProperty("java.class.path")
            + "' "
            + FakeProvider.class.getName()
            + "\n");
    script.toFile().setExecutable(true);
    Path config = dir.resolve("provider.properties");
    Files.writeString(config, "dir=" + dir + "\n");
    return script;
  }
}
