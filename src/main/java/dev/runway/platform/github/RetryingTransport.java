// Over 400 lines because retries, rate-limit pauses, the deadline and the concurrency limit all
// decide around one send, and must agree on it.
package dev.runway.platform.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one logical call to GitHub: adds the standard headers and a timeout to every attempt,
 * retries 5xx answers and connection errors with jittered exponential backoff, waits out rate
 * limits, and records the remaining quota. Authorization is a supplier, so an attempt made after a
 * long wait gets a fresh JWT.
 *
 * <p>Every call has a {@link Deadline} over all its attempts and waits: each attempt's timeout is
 * cut to what remains, and a backoff or rate-limit wait that would end past it fails the call at
 * once. A call that is not safe to repeat (it creates something) is never retried after a
 * connection error or a 5xx, because GitHub may have carried it out: it fails with {@link
 * GitHubException#outcomeUnknown()} and the caller looks before trying again.
 */
final class RetryingTransport {

  private static final Logger log = LoggerFactory.getLogger(RetryingTransport.class);
  private static final Duration UNHINTED_RATE_LIMIT_WAIT = Duration.ofSeconds(60);
  private static final Duration RESET_MARGIN = Duration.ofSeconds(1);
  private static final int MAX_ERROR_TEXT = 200;

  private final String baseUrl;
  private final HttpClient http;
  private final Clock clock;
  private final Sleeper sleeper;
  private final RetryPolicy policy;
  private final MeterRegistry registry;
  private final RequestObserver observer;
  private final DoubleSupplier random;
  private final ObjectMapper json;
  private final LongSupplier nanoTime;
  private final Map<String, AtomicLong> remainingByAuth = new ConcurrentHashMap<>();
  private final ConcurrencyLimit limit;
  private final RateLimitPauses pauses;

  RetryingTransport(
      String baseUrl,
      HttpClient http,
      Clock clock,
      Sleeper sleeper,
      RetryPolicy policy,
      MeterRegistry registry,
      RequestObserver observer,
      DoubleSupplier random,
      ObjectMapper json,
      LongSupplier nanoTime,
      ConcurrencyLimit limit,
      RateLimitPauses pauses) {
    this.limit = limit;
    this.pauses = pauses;
    this.baseUrl = baseUrl;
    this.http = http;
    this.clock = clock;
    this.sleeper = sleeper;
    this.policy = policy;
    this.registry = registry;
    this.observer = observer;
    this.random = random;
    this.json = json;
    this.nanoTime = nanoTime;
  }

  /**
   * The parts of one call. {@code authKind} ("app" or "installation") tags the quota gauge. {@code
   * idempotent} false means the call must not be repeated blindly; {@code deadline} null means the
   * policy's {@link RetryPolicy#callDeadline()} from now. {@code pauseKey} names whose rate limit
   * the call spends: {@link RateLimitPauses#APP} or an installation's.
   */
  record Call(
      String method,
      String pathAndQuery,
      Supplier<String> authorization,
      String authKind,
      String jsonBody,
      boolean idempotent,
      Deadline deadline,
      String pauseKey,
      String ifNoneMatch) {
    Call(
        String method,
        String pathAndQuery,
        Supplier<String> authorization,
        String authKind,
        String jsonBody,
        boolean idempotent,
        Deadline deadline,
        String pauseKey) {
      this(
          method,
          pathAndQuery,
          authorization,
          authKind,
          jsonBody,
          idempotent,
          deadline,
          pauseKey,
          null);
    }
  }

  /** A deadline of the policy's length from now, on this transport's clock. */
  Deadline defaultDeadline() {
    return Deadline.after(policy.callDeadline(), nanoTime);
  }

  /** Until when calls of {@code pauseKey} are held by a rate limit, if they are. */
  Optional<Instant> pausedUntil(String pauseKey) {
    return pauses.pausedUntil(pauseKey);
  }

  /**
   * Sends the call until it gets a 2xx answer, and returns that answer. While the call's
   * installation (or the App) is paused by a rate limit it is not sent and fails with {@link
   * GitHubPausedException}; when no request slot frees within its deadline, with {@link
   * GitHubBusyException}.
   */
  HttpResponse<String> send(Call call) {
    Deadline deadline = call.deadline() != null ? call.deadline() : defaultDeadline();
    boolean[] holdsProbe = {false};
    try {
      return send(call, deadline, holdsProbe);
    } finally {
      if (holdsProbe[0]) {
        // No answer ended or renewed the pause: whoever comes next after the reset probes.
        pauses.abandonProbe(call.pauseKey());
      }
    }
  }

  private HttpResponse<String> send(Call call, Deadline deadline, boolean[] holdsProbe) {
    int lastStatus = 0;
    for (int attempt = 1; ; attempt++) {
      if (deadline.expired()) {
        throw deadlineExceeded(call, lastStatus, attempt - 1, deadline);
      }
      holdsProbe[0] =
          pauses.admit(call.pauseKey(), holdsProbe[0], call.method(), call.pathAndQuery());
      HttpResponse<String> response;
      try {
        response = attempt(call, attempt, deadline);
      } catch (IOException e) {
        if (!call.idempotent()) {
          throw new GitHubException(
              "GitHub "
                  + call.method()
                  + " "
                  + call.pathAndQuery()
                  + " got no answer, and it is not safe to repeat: "
                  + describe(e),
              0,
              call.method(),
              call.pathAndQuery(),
              e);
        }
        if (deadline.expired()) {
          throw deadlineExceeded(call, lastStatus, attempt, deadline);
        }
        giveUpIfLast(call, attempt, e);
        pause(call, "connection", policy.backoff(attempt, random.getAsDouble()), attempt, deadline);
        continue;
      }
      int status = response.statusCode();
      lastStatus = status;
      Optional<Duration> rateLimitWait = rateLimitWait(response);
      if (holdsProbe[0] && rateLimitWait.isEmpty()) {
        // The probe got through: GitHub takes this installation's calls again.
        pauses.resume(call.pauseKey());
        holdsProbe[0] = false;
        log.info("GitHub rate limit of {} is over; calls resume", describeKey(call.pauseKey()));
      }
      // A conditional request's 304 is an answer: nothing changed, and GitHub did not count it.
      if ((status >= 200 && status < 300) || (status == 304 && call.ifNoneMatch() != null)) {
        return response;
      }
      if (rateLimitWait.isPresent()) {
        holdsProbe[0] =
            waitForRateLimit(call, response, rateLimitWait.get(), attempt, deadline, holdsProbe[0]);
      } else if (status >= 500 && !call.idempotent()) {
        throw new GitHubException(
            failure(call, response, false).getMessage() + " (not safe to repeat)",
            status,
            call.method(),
            call.pathAndQuery(),
            (Throwable) null);
      } else if (status >= 500 && attempt < policy.maxAttempts()) {
        pause(
            call, "server_error", policy.backoff(attempt, random.getAsDouble()), attempt, deadline);
      } else {
        throw failure(call, response, false);
      }
    }
  }

  private DeadlineExceededException deadlineExceeded(
      Call call, int lastStatus, int attempts, Deadline deadline) {
    return new DeadlineExceededException(
        "GitHub "
            + call.method()
            + " "
            + call.pathAndQuery()
            + " did not succeed within its deadline of "
            + deadline.budget().toMillis()
            + " ms ("
            + attempts
            + " attempt(s)"
            + (lastStatus == 0 ? "" : ", last answer " + lastStatus)
            + ")",
        lastStatus,
        call.method(),
        call.pathAndQuery());
  }

  /** One HTTP exchange, in one of the process's request slots, waited for within the deadline. */
  private HttpResponse<String> attempt(Call call, int attempt, Deadline deadline)
      throws IOException {
    try {
      if (!limit.acquire(deadline.remaining().toNanos())) {
        throw new GitHubBusyException(
            "GitHub busy: "
                + call.method()
                + " "
                + call.pathAndQuery()
                + " got none of the process's "
                + limit.limit()
                + " request slots within its deadline (in flight "
                + limit.inFlight()
                + ", waiting "
                + limit.waiting()
                + ")",
            call.method(),
            call.pathAndQuery());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw interrupted(call);
    }
    try {
      return exchange(call, attempt, deadline.remaining());
    } finally {
      limit.release();
    }
  }

  private HttpResponse<String> exchange(Call call, int attempt, Duration remaining)
      throws IOException {
    HttpRequest request = request(call, remaining);
    long started = System.nanoTime();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
      observed(call, response.statusCode(), elapsed, attempt);
      recordRemaining(call.authKind(), response);
      return response;
    } catch (IOException e) {
      observed(call, 0, Duration.ofNanos(System.nanoTime() - started), attempt);
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw interrupted(call);
    }
  }

  private HttpRequest request(Call call, Duration remaining) {
    Duration timeout =
        remaining.compareTo(policy.requestTimeout()) < 0 ? remaining : policy.requestTimeout();
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(baseUrl + call.pathAndQuery()))
            .timeout(timeout.isZero() ? Duration.ofMillis(1) : timeout)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header("User-Agent", "runway")
            .header("Authorization", call.authorization().get());
    if (call.ifNoneMatch() != null) {
      builder.header("If-None-Match", call.ifNoneMatch());
    }
    if (call.jsonBody() != null) {
      builder
          .header("Content-Type", "application/json")
          .method(call.method(), HttpRequest.BodyPublishers.ofString(call.jsonBody()));
    } else {
      builder.method(call.method(), HttpRequest.BodyPublishers.noBody());
    }
    return builder.build();
  }

  private void observed(Call call, int status, Duration elapsed, int attempt) {
    log.debug(
        "GitHub {} {} -> {} in {} ms (attempt {})",
        call.method(),
        call.pathAndQuery(),
        status,
        elapsed.toMillis(),
        attempt);
    observer.exchanged(call.method(), call.pathAndQuery(), status, elapsed, attempt);
  }

  /**
   * GitHub signals a primary rate limit with 403 and {@code X-RateLimit-Remaining: 0}, and a
   * secondary one with 403 or 429 and {@code Retry-After}. A bare 403 is a permission problem and
   * is not retried.
   */
  private Optional<Duration> rateLimitWait(HttpResponse<?> response) {
    int status = response.statusCode();
    Optional<String> retryAfter = response.headers().firstValue("Retry-After");
    Optional<String> remaining = response.headers().firstValue("X-RateLimit-Remaining");
    boolean exhausted = remaining.map(String::trim).filter("0"::equals).isPresent();
    boolean limited = status == 429 || (status == 403 && (retryAfter.isPresent() || exhausted));
    if (!limited) {
      return Optional.empty();
    }
    Optional<Long> seconds = retryAfter.flatMap(RetryingTransport::parseLong);
    if (seconds.isPresent()) {
      return Optional.of(Duration.ofSeconds(Math.max(0, seconds.get())));
    }
    Optional<Long> reset =
        response.headers().firstValue("X-RateLimit-Reset").flatMap(RetryingTransport::parseLong);
    if (exhausted && reset.isPresent()) {
      Duration untilReset = Duration.between(clock.instant(), Instant.ofEpochSecond(reset.get()));
      return Optional.of((untilReset.isNegative() ? Duration.ZERO : untilReset).plus(RESET_MARGIN));
    }
    return Optional.of(UNHINTED_RATE_LIMIT_WAIT);
  }

  /**
   * Pauses the call's installation (or the App) until the reset, then either waits it out as the
   * probe or fails the call at once.
   *
   * @return whether the call holds the probe (it waited, and its next attempt is the probe)
   */
  private boolean waitForRateLimit(
      Call call,
      HttpResponse<String> response,
      Duration wait,
      int attempt,
      Deadline deadline,
      boolean holdsProbe) {
    boolean canWait =
        wait.compareTo(policy.maxRateLimitWait()) <= 0
            && attempt < policy.maxAttempts()
            && wait.compareTo(deadline.remaining()) < 0;
    Instant until = clock.instant().plus(wait);
    boolean probe = pauses.pause(call.pauseKey(), until, canWait, holdsProbe);
    log.warn(
        "GitHub rate limit: {} answered {}; {} paused until {}",
        call.method() + " " + call.pathAndQuery(),
        response.statusCode(),
        describeKey(call.pauseKey()),
        until);
    if (!probe) {
      throw failure(call, response, true);
    }
    pause(call, "rate_limit", wait, attempt, deadline);
    return true;
  }

  private static String describeKey(String key) {
    return RateLimitPauses.APP.equals(key) ? "the App's calls" : "installation " + key;
  }

  private void pause(Call call, String reason, Duration wait, int attempt, Deadline deadline) {
    if (wait.compareTo(deadline.remaining()) >= 0) {
      // Waiting would end past the deadline; failing now frees the caller sooner.
      throw deadlineExceeded(call, 0, attempt, deadline);
    }
    Counter.builder("runway.github.retries")
        .description("GitHub API attempts retried, by reason")
        .tag("reason", reason)
        .register(registry)
        .increment();
    log.info(
        "GitHub {} {} retrying after {} in {} ms (attempt {}/{})",
        call.method(),
        call.pathAndQuery(),
        reason,
        wait.toMillis(),
        attempt + 1,
        policy.maxAttempts());
    try {
      sleeper.sleep(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw interrupted(call);
    }
  }

  private void giveUpIfLast(Call call, int attempt, IOException e) {
    if (attempt >= policy.maxAttempts()) {
      throw new GitHubException(
          "GitHub "
              + call.method()
              + " "
              + call.pathAndQuery()
              + " got no answer after "
              + attempt
              + " attempts: "
              + describe(e),
          call.method(),
          call.pathAndQuery(),
          e);
    }
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : " " + oneLine(message));
  }

  private GitHubException failure(Call call, HttpResponse<String> response, boolean rateLimited) {
    String message =
        "GitHub "
            + call.method()
            + " "
            + call.pathAndQuery()
            + " answered "
            + response.statusCode()
            + (rateLimited ? " (rate limited beyond the allowed wait)" : "")
            + errorText(response.body());
    return new GitHubException(
        message, response.statusCode(), call.method(), call.pathAndQuery(), rateLimited);
  }

  private static GitHubException interrupted(Call call) {
    return new GitHubException(
        "GitHub " + call.method() + " " + call.pathAndQuery() + " interrupted",
        0,
        call.method(),
        call.pathAndQuery(),
        false);
  }

  /** GitHub's {@code message} field, or the start of a non-JSON body, as one short line. */
  private String errorText(String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    String text;
    try {
      JsonNode node = json.readTree(body);
      text = node.path("message").isTextual() ? node.path("message").asText() : body;
      // A 422 says what failed in "errors" (strings or objects with a message), e.g. a runner name
      // that already exists; callers tell such answers apart by that text.
      if (node.path("errors").isArray() && !node.path("errors").isEmpty()) {
        List<String> errors = new ArrayList<>();
        for (JsonNode e : node.path("errors")) {
          errors.add(e.isTextual() ? e.asText() : e.path("message").asText(e.toString()));
        }
        text = text + " (" + String.join("; ", errors) + ")";
      }
    } catch (IOException e) {
      text = body;
    }
    text = oneLine(text);
    if (text.length() > MAX_ERROR_TEXT) {
      text = text.substring(0, MAX_ERROR_TEXT) + "...";
    }
    return ": " + text;
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s+", " ").trim();
  }

  private void recordRemaining(String authKind, HttpResponse<?> response) {
    response
        .headers()
        .firstValue("X-RateLimit-Remaining")
        .flatMap(RetryingTransport::parseLong)
        .ifPresent(remaining -> remainingGauge(authKind).set(remaining));
  }

  private AtomicLong remainingGauge(String authKind) {
    return remainingByAuth.computeIfAbsent(
        authKind,
        kind -> {
          AtomicLong value = new AtomicLong();
          // The map keeps the value strongly reachable; Micrometer only holds it weakly.
          Gauge.builder("runway.github.rate.limit.remaining", value, AtomicLong::doubleValue)
              .description("GitHub API requests left in the current rate-limit window")
              .tag("auth", kind)
              .register(registry);
          return value;
        });
  }

  private static Optional<Long> parseLong(String text) {
    try {
      return Optional.of(Long.parseLong(text.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
