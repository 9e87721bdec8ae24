package dev.runway.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.platform.github.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class UiSessionsTest {
  final MutableClock clock = MutableClock.startingNow();
  final UiSessions sessions = new UiSessions(clock);

  @Test
  void a_session_is_found_by_its_id_only_and_its_id_is_not_in_its_string() {
    UiSessions.Opened o = sessions.open(7, "alice");
    assertThat(sessions.find(o.id()))
        .hasValueSatisfying(s -> assertThat(s.operator).isEqualTo("alice"));
    assertThat(sessions.find(o.id() + "x")).isEmpty();
    assertThat(sessions.find("")).isEmpty();
    assertThat(sessions.find(null)).isEmpty();
    assertThat(o.toString()).doesNotContain(o.id()).doesNotContain(o.session().csrf);
    assertThat(o.session().csrf).isNotEqualTo(o.id());
  }

  @Test
  void an_idle_session_expires_and_a_busy_one_ends_at_its_lifetime() {
    UiSessions.Opened idle = sessions.open(1, "a");
    UiSessions.Opened busy = sessions.open(2, "b");
    clock.advance(UiSessions.IDLE.minusMinutes(1));
    assertThat(sessions.find(busy.id())).isPresent();
    clock.advance(Duration.ofMinutes(2));
    assertThat(sessions.find(idle.id())).isEmpty();
    while (clock.instant().isBefore(busy.session().createdAt.plus(UiSessions.LIFETIME))) {
      assertThat(sessions.find(busy.id())).isPresent();
      clock.advance(Duration.ofMinutes(20));
    }
    assertThat(sessions.find(busy.id())).isEmpty();
  }

  @Test
  void logout_and_revocation_end_sessions() {
    UiSessions.Opened a = sessions.open(1, "a");
    UiSessions.Opened b1 = sessions.open(2, "b");
    UiSessions.Opened b2 = sessions.open(2, "b");
    sessions.close(a.id());
    assertThat(sessions.find(a.id())).isEmpty();
    sessions.closeToken(2);
    assertThat(sessions.find(b1.id())).isEmpty();
    assertThat(sessions.find(b2.id())).isEmpty();
  }

  @Test
  void the_csrf_token_must_match_exactly() {
    UiSessions.Session s = sessions.open(1, "a").session();
    assertThat(UiSessions.csrfMatches(s, s.csrf)).isTrue();
    assertThat(UiSessions.csrfMatches(s, s.csrf + "x")).isFalse();
    assertThat(UiSessions.csrfMatches(s, "")).isFalse();
    assertThat(UiSessions.csrfMatches(s, null)).isFalse();
  }

  @Test
  void the_store_is_bounded_and_drops_the_least_recently_seen() {
    UiSessions.Opened first = sessions.open(1, "first");
    clock.advance(Duration.ofSeconds(1));
    UiSessions.Opened second = sessions.open(1, "second");
    clock.advance(Duration.ofSeconds(1));
    for (int i = 2; i < UiSessions.MAX_SESSIONS; i++) {
      sessions.open(1, "n" + i);
    }
    clock.advance(Duration.ofSeconds(1));
    sessions.find(first.id());
    sessions.open(1, "one more");
    assertThat(sessions.size()).isEqualTo(UiSessions.MAX_SESSIONS);
    assertThat(sessions.find(first.id())).isPresent();
    assertThat(sessions.find(second.id())).isEmpty();
  }

  @Test
  void revocation_is_checked_again_after_a_minute() {
    UiSessions.Session s = sessions.open(1, "a").session();
    assertThat(sessions.dueForCheck(s)).isFalse();
    clock.advance(UiSessions.RECHECK);
    assertThat(sessions.dueForCheck(s)).isTrue();
    sessions.checked(s);
    assertThat(sessions.dueForCheck(s)).isFalse();
  }
}
