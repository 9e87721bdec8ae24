package dev.runway.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Keeps {@code --in-flight} claim requests open against one pool for {@code --duration} seconds, as
 * that many agents would: each sends its next claim as soon as the last one is answered, after the
 * answer's {@code Retry-After} when it was a 503. Prints one JSON line with the answers by status.
 */
@Command(
    name = "claim-flood",
    mixinStandardHelpOptions = true,
    description = "Holds N claim requests in flight against a pool and counts the answers.")
final class ClaimFlood implements Callable<Integer> {
  @Option(names = "--url", required = true, description = "the public base URL")
  URI url;

  @Option(names = "--pool", required = true)
  String pool;

  @Option(names = "--token-file", required = true)
  Path tokenFile;

  @Option(names = "--in-flight", defaultValue = "300")
  int inFlight;

  @Option(names = "--duration", defaultValue = "60", description = "seconds")
  long duration;

  private final Map<Integer, AtomicLong> answers = new ConcurrentHashMap<>();
  private final AtomicLong open = new AtomicLong();
  private final AtomicLong maxOpen = new AtomicLong();

  @Override
  public Integer call() throws Exception {
    String token = Files.readString(tokenFile).trim();
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(duration);
    CountDownLatch done = new CountDownLatch(inFlight);
    HttpRequest request =
        HttpRequest.newBuilder(url.resolve("/api/v1/pools/" + pool + "/claims"))
            .timeout(Duration.ofSeconds(90))
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    for (int i = 0; i < inFlight; i++) {
      loop(http, request, timer, end, done);
    }
    done.await(duration + 120, TimeUnit.SECONDS);
    timer.shutdownNow();
    StringBuilder json = new StringBuilder("{\"in_flight\":").append(inFlight);
    json.append(",\"max_open\":").append(maxOpen.get());
    new TreeMap<>(answers)
        .forEach((status, n) -> json.append(",\"status_").append(status).append("\":").append(n));
    System.out.println(json.append('}'));
    return 0;
  }

  private void loop(
      HttpClient http,
      HttpRequest request,
      ScheduledExecutorService timer,
      long end,
      CountDownLatch done) {
    if (System.nanoTime() - end > 0) {
      done.countDown();
      return;
    }
    maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (r, e) -> {
              open.decrementAndGet();
              int status = e != null ? -1 : r.statusCode();
              answers.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
              long wait =
                  r == null
                      ? 1
                      : r.headers().firstValue("Retry-After").map(Long::parseLong).orElse(0L);
              timer.schedule(
                  () -> loop(http, request, timer, end, done),
                  Math.min(wait, 5),
                  TimeUnit.SECONDS);
            });
  }
}
