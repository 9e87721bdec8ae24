package dev.runway.ui;

import dev.runway.platform.auth.BearerTokens;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The web UI's sessions, kept in this process's memory. The browser holds only a random session id
 * in an {@code HttpOnly} cookie, never the operator token; the map is keyed by the id's SHA-256, so
 * a lookup's timing says nothing about how close a guessed id came. A session ends after {@link
 * #IDLE} without a request, {@link #LIFETIME} after login, at logout, or when its token is revoked
 * (checked at most every {@link #RECHECK}). Sessions do not survive a restart and are per replica:
 * an operator logs in again, which costs one paste of the token.
 */
public final class UiSessions {
  static final Duration IDLE = Duration.ofMinutes(30);
  static final Duration LIFETIME = Duration.ofHours(12);
  static final Duration RECHECK = Duration.ofSeconds(60);

  /** Enough for every operator of a team several times over; past it the oldest is dropped. */
  static final int MAX_SESSIONS = 1_000;

  private final Map<String, Session> byHash = new ConcurrentHashMap<>();
  private final Clock clock;

  public UiSessions(Clock clock) {
    this.clock = clock;
  }

  /** One operator's login. Only {@link UiSessions} creates them. */
  static final class Session {
    final long tokenId;
    final String operator;
    final String csrf;
    final Instant createdAt;
    volatile Instant lastSeen;
    volatile Instant lastChecked;
    volatile String flash;

    private Session(long tokenId, String operator, String csrf, Instant now) {
      this.tokenId = tokenId;
      this.operator = operator;
      this.csrf = csrf;
      this.createdAt = now;
      this.lastSeen = now;
      this.lastChecked = now;
    }

    /** The message for the next page, shown once. */
    String takeFlash() {
      String f = flash;
      flash = null;
      return f;
    }

    @Override
    public String toString() {
      return "Session[operator=" + operator + ", tokenId=" + tokenId + "]";
    }
  }

  /** A new session; the returned id goes into the cookie and is not kept in the clear. */
  record Opened(String id, Session session) {
    @Override
    public String toString() {
      return "Opened[id=<redacted>, " + session + "]";
    }
  }

  Opened open(long tokenId, String operator) {
    Instant now = clock.instant();
    if (byHash.size() >= MAX_SESSIONS) {
      byHash.entrySet().removeIf(e -> expired(e.getValue(), now));
      if (byHash.size() >= MAX_SESSIONS) {
        byHash.entrySet().stream()
            .min(Comparator.comparing(e -> e.getValue().lastSeen))
            .ifPresent(e -> byHash.remove(e.getKey()));
      }
    }
    String id = BearerTokens.newSecret("");
    Session s = new Session(tokenId, operator, BearerTokens.newSecret(""), now);
    byHash.put(key(id), s);
    return new Opened(id, s);
  }

  /** The live session of a cookie value, touching it; empty when absent or expired. */
  Optional<Session> find(String id) {
    if (id == null || id.isEmpty()) {
      return Optional.empty();
    }
    String k = key(id);
    Session s = byHash.get(k);
    if (s == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    if (expired(s, now)) {
      byHash.remove(k);
      return Optional.empty();
    }
    s.lastSeen = now;
    return Optional.of(s);
  }

  /** Whether the session's token is due to be checked again for revocation. */
  boolean dueForCheck(Session s) {
    return !clock.instant().isBefore(s.lastChecked.plus(RECHECK));
  }

  void checked(Session s) {
    s.lastChecked = clock.instant();
  }

  void close(String id) {
    if (id != null && !id.isEmpty()) {
      byHash.remove(key(id));
    }
  }

  /** Ends every session of a token (it was revoked). */
  void closeToken(long tokenId) {
    byHash.values().removeIf(s -> s.tokenId == tokenId);
  }

  int size() {
    return byHash.size();
  }

  /** Compares a presented CSRF token with the session's, in constant time. */
  static boolean csrfMatches(Session s, String presented) {
    return presented != null
        && MessageDigest.isEqual(BearerTokens.hash(s.csrf), BearerTokens.hash(presented));
  }

  private static boolean expired(Session s, Instant now) {
    return !now.isBefore(s.lastSeen.plus(IDLE)) || !now.isBefore(s.createdAt.plus(LIFETIME));
  }

  private static String key(String id) {
    return Base64.getEncoder().encodeToString(BearerTokens.hash(id));
  }
}
