package dev.runway.http;

import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP server: Javalin on Jetty 12, with errors mapped to JSON answers in one place. */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private final Javalin app;
  private final InFlightHandler inFlight;

  private HttpServer(Javalin app, InFlightHandler inFlight) {
    this.app = app;
    this.inFlight = inFlight;
  }

  /** Starts the server on {@code port} with every feature's routes on it. */
  public static HttpServer start(int port, List<HttpRoutes> features) {
    return start(
        port,
        routes -> {
          Listeners listeners = Listeners.shared(routes);
          features.forEach(f -> f.register(listeners));
        });
  }

  /** Starts the server on {@code port} (0 picks a free one). */
  public static HttpServer start(int port, Consumer<RoutesConfig> routes) {
    InFlightHandler inFlight = new InFlightHandler();
    Javalin app =
        Javalin.create(
            c -> {
              c.startup.showJavalinBanner = false;
              c.startup.showOldJavalinVersionWarning = false;
              c.jetty.port = port;
              // Webhook handlers block on a commit for up to the intake budget; the pool must be
              // large enough that a burst waits in commits, not in Jetty's accept queue.
              c.jetty.threadPool = new QueuedThreadPool(256, 16, 60_000);
              // Javalin attaches its handlers inside this wrapper.
              c.jetty.modifyServer(server -> server.setHandler(inFlight));
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
    return new HttpServer(app.start(), inFlight);
  }

  public int port() {
    return app.port();
  }

  /**
   * Stops taking new connections, lets the requests in flight (and those already arriving on open
   * connections) be answered, then stops, waiting at most {@code grace}. A webhook that arrives
   * while the service stops is still stored and acknowledged, not refused with a 503.
   */
  public void stop(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    for (Connector c : app.jettyServer().server().getConnectors()) {
      if (c instanceof ServerConnector sc) {
        // New connections are refused at once (a load balancer retries elsewhere); open ones
        // keep being served until the requests in flight are answered.
        sc.setAccepting(false);
        sc.close();
      }
    }
    while (inFlight.inFlight() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    if (inFlight.inFlight() > 0) {
      log.warn("stopping with {} request(s) still in flight after {}", inFlight.inFlight(), grace);
    }
    app.stop();
  }
}
