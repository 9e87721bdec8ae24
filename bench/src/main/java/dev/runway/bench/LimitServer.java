package dev.runway.bench;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
 * "The limit": a Jetty 12 handler (the same Jetty that Runway runs on) that answers 200 with an
 * empty body without reading the request body. Nothing a webhook receiver does can be faster on
 * this machine with this HTTP stack.
 */
@Command(
    name = "limit-server",
    mixinStandardHelpOptions = true,
    description = "Jetty 12 handler answering 200 without reading the body (the HTTP limit).")
final class LimitServer implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "8081")
  int port;

  @Option(names = "--max-seconds", defaultValue = "3600", description = "stop by itself after")
  long maxSeconds;

  @Override
  public Integer call() throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool(200, 8);
    threads.setName("limit");
    Server server = new Server(threads);
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract.NonBlocking() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(200);
            callback.succeeded();
            return true;
          }
        });
    server.start();
    System.out.println("limit-server listening on 127.0.0.1:" + connector.getLocalPort());
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
    stop.await(maxSeconds, java.util.concurrent.TimeUnit.SECONDS);
    server.stop();
    return 0;
  }
}
