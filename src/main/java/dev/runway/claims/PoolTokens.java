package dev.runway.claims;

import dev.runway.platform.auth.BearerTokens;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Bearer tokens of runner agents, one pool each, in the {@code pool_tokens} table. A token is 32
 * random bytes, base64url, after the prefix {@code rwy_}; only its SHA-256 is stored, so a database
 * dump does not let anyone claim jobs.
 */
public final class PoolTokens {
  static final String PREFIX = "rwy_";

  /** A token as listed: never the secret, which is not stored. */
  public record TokenInfo(long id, String pool, Instant createdAt, Instant revokedAt) {}

  /** A new token: {@code secret} is shown once and then only its hash exists. */
  public record NewToken(long id, String pool, String secret) {
    @Override
    public String toString() {
      return "NewToken[id=" + id + ", pool=" + pool + ", secret=<redacted>]";
    }
  }

  /** Creates a token for {@code pool} and returns it with its secret. */
  public NewToken create(Connection c, String pool) throws SQLException {
    String secret = BearerTokens.newSecret(PREFIX);
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into pool_tokens (pool, token_hash) values (?, ?) returning id")) {
      ps.setString(1, pool);
      ps.setBytes(2, hash(secret));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new NewToken(rs.getLong(1), pool, secret);
      }
    }
  }

  /** Revokes token {@code id}; false when there is no such token or it was already revoked. */
  public boolean revoke(Connection c, long id, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update pool_tokens set revoked_at = ? where id = ? and revoked_at is null")) {
      ps.setTimestamp(1, Timestamp.from(now));
      ps.setLong(2, id);
      return ps.executeUpdate() == 1;
    }
  }

  public List<TokenInfo> list(Connection c, String pool) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select id, pool, created_at, revoked_at from pool_tokens"
                + " where (?::text is null or pool = ?) order by id")) {
      ps.setString(1, pool);
      ps.setString(2, pool);
      List<TokenInfo> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Timestamp revoked = rs.getTimestamp("revoked_at");
          out.add(
              new TokenInfo(
                  rs.getLong("id"),
                  rs.getString("pool"),
                  rs.getTimestamp("created_at").toInstant(),
                  revoked == null ? null : revoked.toInstant()));
        }
      }
      return out;
    }
  }

  /**
   * Whether {@code presented} is a live token of {@code pool}. The presented token is hashed and
   * compared with every live hash of the pool by {@link MessageDigest#isEqual}, which takes the
   * same time wherever the hashes differ; the lookup never uses the presented value as a key.
   */
  public boolean authenticate(Connection c, String pool, String presented) throws SQLException {
    if (presented == null || presented.isEmpty()) {
      return false;
    }
    byte[] candidate = hash(presented);
    boolean match = false;
    try (PreparedStatement ps =
        c.prepareStatement(
            "select token_hash from pool_tokens where pool = ? and revoked_at is null")) {
      ps.setString(1, pool);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          match |= MessageDigest.isEqual(candidate, rs.getBytes(1));
        }
      }
    }
    return match;
  }

  static byte[] hash(String token) {
    return BearerTokens.hash(token);
  }
}
