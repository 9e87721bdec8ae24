package dev.runway.http;

import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP server: Javalin on Jetty 12, with errors mapped to JSON answers in one place. */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private HttpServer() {}

  /**
   * Starts the server on {@code port} (0 picks a free one).
   *
   * @param grace how long a stop waits for requests in flight before closing their connections
   */
  public static Javalin start(int port, Duration grace, Consumer<RoutesConfig> routes) {
    Javalin app =
        Javalin.create(
            c -> {
              c.startup.showJavalinBanner = false;
              c.startup.showOldJavalinVersionWarning = false;
              c.jetty.port = port;
              // Webhook handlers block on a commit for up to the intake budget; the pool must be
              // large enough that a burst waits in commits, not in Jetty's accept queue.
              c.jetty.threadPool = new QueuedThreadPool(256, 16, 60_000);
              c.jetty.modifyServer(
                  server -> {
                    // Graceful stop: refuse new requests, let the ones in flight finish.
                    server.setHandler(new GracefulHandler());
                    server.setStopTimeout(grace.toMillis());
                  });
              c.http.maxRequestSize = 26L * 1024 * 1024;
              routes.accept(c.routes);
              c.routes.exception(
                  Exception.class,
                  (e, ctx) -> {
                    log.error("{} {} failed", ctx.method(), ctx.path(), e);
                    ctx.status(500).json(Map.of("error", "internal error"));
                  });
              c.routes.error(
                  404, "*", ctx -> ctx.json(Map.of("error", "not found: " + ctx.path())));
            });
    return app.start();
  }
}
