package dev.runway.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A GitHub that answers every call after {@code --delay-ms}: installation tokens and JIT configs,
 * 404 for anything else. The delay holds no thread (a scheduler completes the answer), so the
 * stand-in itself is never the bottleneck. It checks no JWT: it stands in for GitHub's latency,
 * not for its authentication (the tests' GitHubStub does that).
 */
@Command(
    name = "slow-github",
    mixinStandardHelpOptions = true,
    description = "A GitHub stand-in that answers tokens and JIT configs after a fixed delay.")
final class SlowGitHub implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "8082")
  int port;

  @Option(names = "--delay-ms", defaultValue = "15000")
  long delayMs;

  @Option(names = "--max-seconds", defaultValue = "3600", description = "stop by itself after")
  long maxSeconds;

  private final AtomicLong runnerIds = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();

  @Override
  public Integer call() throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("slow-github");
    Server server = new Server(threads);
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            requests.incrementAndGet();
            String path = Request.getPathInContext(request);
            timer.schedule(() -> answer(path, response, callback), delayMs, TimeUnit.MILLISECONDS);
            return true;
          }
        });
    server.start();
    System.out.println("slow-github listening on 127.0.0.1:" + connector.getLocalPort());
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("slow-github requests " + requests.get());
                  stop.countDown();
                }));
    stop.await(maxSeconds, TimeUnit.SECONDS);
    server.stop();
    timer.shutdownNow();
    return 0;
  }

  private void answer(String path, Response response, Callback callback) {
    String body;
    int status = 201;
    if (path.endsWith("/access_tokens")) {
      body =
          "{\"token\":\"ghs_bench\",\"expires_at\":\"" + Instant.now().plusSeconds(3600) + "\"}";
    } else if (path.endsWith("/generate-jitconfig")) {
      body =
          "{\"runner\":{\"id\":"
              + runnerIds.incrementAndGet()
              + ",\"name\":\"bench\"},\"encoded_jit_config\":\"YmVuY2g=\"}";
    } else {
      status = 404;
      body = "{\"message\":\"Not Found\"}";
    }
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
  }
}
