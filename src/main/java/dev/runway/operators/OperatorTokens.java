package dev.runway.operators;

import dev.runway.platform.auth.BearerTokens;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Operators' bearer tokens, in the {@code operator_tokens} table. Only the SHA-256 of a token is
 * stored, so a database dump does not let anyone read the operator APIs.
 */
public final class OperatorTokens {
  static final String PREFIX = "rwo_";

  /** An operator, as a valid token identifies them. */
  public record Operator(long tokenId, String name) {}

  /** A token as listed: never the secret, which is not stored. */
  public record TokenInfo(
      long id, String name, Instant createdAt, Instant lastUsedAt, Instant revokedAt) {}

  /** A new token: {@code secret} is shown once and then only its hash exists. */
  public record NewToken(long id, String name, String secret) {
    @Override
    public String toString() {
      return "NewToken[id=" + id + ", name=" + name + ", secret=<redacted>]";
    }
  }

  public NewToken create(Connection c, String name) throws SQLException {
    String secret = BearerTokens.newSecret(PREFIX);
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into operator_tokens (name, token_hash) values (?, ?) returning id")) {
      ps.setString(1, name);
      ps.setBytes(2, BearerTokens.hash(secret));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new NewToken(rs.getLong(1), name, secret);
      }
    }
  }

  /** Revokes token {@code id}; false when there is no such live token. */
  public boolean revoke(Connection c, long id, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update operator_tokens set revoked_at = ? where id = ? and revoked_at is null")) {
      ps.setTimestamp(1, Timestamp.from(now));
      ps.setLong(2, id);
      return ps.executeUpdate() == 1;
    }
  }

  public List<TokenInfo> list(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement(
                "select id, name, created_at, last_used_at, revoked_at from operator_tokens"
                    + " order by id");
        ResultSet rs = ps.executeQuery()) {
      List<TokenInfo> out = new ArrayList<>();
      while (rs.next()) {
        out.add(
            new TokenInfo(
                rs.getLong("id"),
                rs.getString("name"),
                rs.getTimestamp("created_at").toInstant(),
                instant(rs.getTimestamp("last_used_at")),
                instant(rs.getTimestamp("revoked_at"))));
      }
      return out;
    }
  }

  /**
   * The operator whose live token {@code presented} is. The presented token is hashed and compared
   * with every live hash by {@link BearerTokens#sameHash}; the presented value is never a lookup
   * key, so timing does not tell how close a guess came.
   */
  public Optional<Operator> authenticate(Connection c, String presented, Instant now)
      throws SQLException {
    if (presented == null || presented.isEmpty()) {
      return Optional.empty();
    }
    byte[] candidate = BearerTokens.hash(presented);
    Operator found = null;
    try (PreparedStatement ps =
            c.prepareStatement(
                "select id, name, token_hash from operator_tokens where revoked_at is null");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        if (BearerTokens.sameHash(candidate, rs.getBytes("token_hash")) && found == null) {
          found = new Operator(rs.getLong("id"), rs.getString("name"));
        }
      }
    }
    if (found != null) {
      touch(c, found.tokenId(), now);
    }
    return Optional.ofNullable(found);
  }

  /** Records the token's use, at most once a minute, so a busy dashboard does not write per hit. */
  private static void touch(Connection c, long id, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update operator_tokens set last_used_at = ? where id = ?"
                + " and (last_used_at is null or last_used_at < ?)")) {
      ps.setTimestamp(1, Timestamp.from(now));
      ps.setLong(2, id);
      ps.setTimestamp(3, Timestamp.from(now.minusSeconds(60)));
      ps.executeUpdate();
    }
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }
}
