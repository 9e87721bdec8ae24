package dev.runway.platform.db;

import dev.runway.platform.retry.Backoff;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wake-ups between replicas through PostgreSQL {@code LISTEN/NOTIFY}, on one channel ({@value
 * #CHANNEL}) with payloads {@code topic:key}.
 *
 * <ul>
 *   <li>{@link #notify(Connection, String, String)} runs inside the writer's transaction, so the
 *       signal is delivered on commit and never before the data it announces is visible; a rolled
 *       back transaction signals nothing.
 *   <li>Every replica (this one included) holds one connection that listens, and calls the handlers
 *       {@link #subscribe subscribed} to the topic with the key.
 *   <li>{@link #local(String, String)} calls the handlers of this process directly, for a change
 *       that is already committed.
 * </ul>
 *
 * A notification can be lost (the listening connection drops; PostgreSQL keeps no backlog for a
 * listener that is gone), so a subscriber must also re-check on its own timer. When the listener
 * reconnects, every handler is called with {@link #ANY}: anything may have changed meanwhile.
 */
public final class Signals implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  /** The one channel every replica listens on. */
  public static final String CHANNEL = "runway_signals";

  /** The key handlers get when signals may have been missed. */
  public static final String ANY = "*";

  private static final Duration POLL = Duration.ofMillis(500);
  private static final Backoff RECONNECT =
      new Backoff(Duration.ofMillis(250), Duration.ofSeconds(10));

  private final DataSource ds;
  private final Map<String, List<Consumer<String>>> handlers = new ConcurrentHashMap<>();
  private volatile boolean running;
  private Thread thread;

  public Signals(DataSource ds) {
    this.ds = ds;
  }

  /**
   * Calls {@code handler} with the key of every signal of {@code topic}, on the listener thread.
   */
  public void subscribe(String topic, Consumer<String> handler) {
    handlers.computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>()).add(handler);
  }

  /**
   * Sends {@code topic:key} to every replica when {@code c}'s transaction commits. PostgreSQL folds
   * identical signals of one transaction into one.
   */
  public static void notify(Connection c, String topic, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select pg_notify(?, ?)")) {
      ps.setString(1, CHANNEL);
      ps.setString(2, topic + ":" + key);
      ps.execute();
    }
  }

  /** Calls this process's handlers of {@code topic} now, on the caller's thread. */
  public void local(String topic, String key) {
    deliver(topic, key);
  }

  /** Starts the listener thread. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    thread = new Thread(this::listenLoop, "signals-listener");
    thread.setDaemon(true);
    thread.start();
  }

  private void listenLoop() {
    Duration backoff = RECONNECT.first();
    boolean wasDown = false;
    while (running) {
      try (Connection c = ds.getConnection()) {
        try (Statement st = c.createStatement()) {
          st.execute("listen " + CHANNEL);
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        if (wasDown) {
          log.info("listening for signals again");
        }
        // Whatever was sent while no connection listened is lost: let subscribers re-check.
        handlers.keySet().forEach(topic -> deliver(topic, ANY));
        wasDown = false;
        backoff = RECONNECT.first();
        while (running) {
          PGNotification[] batch = pg.getNotifications((int) POLL.toMillis());
          if (batch != null) {
            for (PGNotification n : batch) {
              dispatch(n.getParameter());
            }
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (!running) {
          return;
        }
        if (!wasDown) {
          log.warn(
              "signal listener lost its connection ({}); re-checks cover the gap", e.toString());
        }
        wasDown = true;
        try {
          Thread.sleep(backoff.toMillis());
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
        backoff = RECONNECT.after(backoff);
      }
    }
  }

  private void dispatch(String payload) {
    int colon = payload.indexOf(':');
    if (colon > 0) {
      deliver(payload.substring(0, colon), payload.substring(colon + 1));
    }
  }

  private void deliver(String topic, String key) {
    for (Consumer<String> h : handlers.getOrDefault(topic, List.of())) {
      try {
        h.accept(key);
      } catch (RuntimeException e) {
        // One handler's bug must not stop the others or the listener.
        log.warn("signal handler for {} failed: {}", topic, e.toString());
      }
    }
  }

  @Override
  public synchronized void close() {
    running = false;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(POLL.multipliedBy(4).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
