package dev.runway.platform.http;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP server: Javalin on Jetty 12, with errors mapped to JSON answers in one place. */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  /** Open connections the server accepts at once (see {@link #start}). */
  public static final int MAX_CONNECTIONS = 1024;

  /** The largest request line and headers accepted, in bytes. */
  public static final int MAX_HEADER_BYTES = 16 * 1024;

  private final Javalin app;
  private final InFlightHandler inFlight;

  private HttpServer(Javalin app, InFlightHandler inFlight) {
    this.app = app;
    this.inFlight = inFlight;
  }

  /** The two listeners, started and stopped together. */
  public record Pair(HttpServer publicServer, HttpServer management) {
    /**
     * Stops the public listener first (GitHub's and the agents' requests in flight are answered),
     * then the management one, each within {@code grace}.
     */
    public void stop(Duration grace) {
      try {
        publicServer.stop(grace);
      } finally {
        management.stop(grace);
      }
    }
  }

  /** Server threads of the public listener (see {@link #configure}). */
  static final int PUBLIC_THREADS = 256;

  /** Server threads of the management listener: scrapes and operators, a few at a time. */
  static final int MANAGEMENT_THREADS = 32;

  /**
   * Starts the public listener on {@code publicPort} and the management listener on {@code
   * managementPort} (0 picks a free one), with every feature's routes on the listener it names.
   * Each listener answers 404 to any path it does not serve, so the public port shows nothing of
   * the management one.
   *
   * @param managementGuard before-handlers of the management listener (the operator token check)
   */
  public static Pair start(
      int publicPort,
      int managementPort,
      List<HttpRoutes> features,
      Consumer<RoutesConfig> managementGuard) {
    InFlightHandler publicInFlight = new InFlightHandler();
    InFlightHandler managementInFlight = new InFlightHandler();
    Javalin[] management = new Javalin[1];
    // Javalin 7 takes routes inside its configuration callback, so the management listener is
    // configured inside the public one's: each feature then sees both route tables at once.
    Javalin publicApp =
        Javalin.create(
            pc -> {
              configure(pc, publicPort, PUBLIC_THREADS, publicInFlight);
              management[0] =
                  Javalin.create(
                      mc -> {
                        configure(mc, managementPort, MANAGEMENT_THREADS, managementInFlight);
                        managementGuard.accept(mc.routes);
                        Listeners listeners = new Listeners(pc.routes, mc.routes);
                        features.forEach(f -> f.register(listeners));
                      });
            });
    HttpServer managementServer = new HttpServer(management[0].start(), managementInFlight);
    try {
      return new Pair(new HttpServer(publicApp.start(), publicInFlight), managementServer);
    } catch (RuntimeException e) {
      managementServer.app.stop();
      throw e;
    }
  }

  private static void configure(JavalinConfig c, int port, int threads, InFlightHandler inFlight) {
    c.startup.showJavalinBanner = false;
    c.startup.showOldJavalinVersionWarning = false;
    c.jetty.port = port;
    // Webhook handlers block on a commit for up to the intake budget; the pool must be large
    // enough that a burst waits in commits, not in Jetty's accept queue.
    c.jetty.threadPool = new QueuedThreadPool(threads, Math.min(16, threads), 60_000);
    // Javalin attaches its handlers inside this wrapper.
    c.jetty.modifyServer(
        server -> {
          server.setHandler(inFlight);
          // Past this many open connections Jetty stops accepting until one closes: a flood of
          // idle or slow connections queues in the kernel's backlog instead of growing the server
          // without bound. Four per thread leaves room for idle keep-alive connections of GitHub's
          // and the agents' clients.
          server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, server));
        });
    // GitHub's and the agents' headers fit easily; anything larger is refused with 431 before a
    // handler runs.
    c.jetty.modifyHttpConfiguration(h -> h.setRequestHeaderSize(MAX_HEADER_BYTES));
    c.http.maxRequestSize = 26L * 1024 * 1024;
    c.routes.exception(
        Exception.class,
        (e, ctx) -> {
          log.error("{} {} failed", ctx.method(), ctx.path(), e);
          ctx.status(500).json(Map.of("error", "internal error"));
        });
    c.routes.error(404, "*", ctx -> ctx.json(Map.of("error", "not found: " + ctx.path())));
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
