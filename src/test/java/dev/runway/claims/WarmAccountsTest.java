package dev.runway.claims;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WarmAccountsTest {

  static WarmAccounts.Recent recent(long account, long jobs, int idle) {
    return new WarmAccounts.Recent(
        new ClaimRepository.WarmScope(account, 1000 + account, "org" + account, null, true),
        jobs,
        idle);
  }

  /** Plays the rule seat by seat, as the provisioner does one warm claim at a time. */
  static Map<Long, Integer> seats(List<WarmAccounts.Recent> start, int minIdle) {
    List<WarmAccounts.Recent> now = new ArrayList<>(start);
    for (int i = 0; i < minIdle; i++) {
      WarmAccounts.Recent first = WarmAccounts.order(now).get(0);
      now.replaceAll(
          r -> r == first ? new WarmAccounts.Recent(r.scope(), r.jobs(), r.idle() + 1) : r);
    }
    Map<Long, Integer> out = new HashMap<>();
    now.forEach(r -> out.put(r.scope().accountId(), r.idle()));
    return out;
  }

  @Test
  void seats_are_shared_in_proportion_to_recent_jobs() {
    assertThat(seats(List.of(recent(1, 30, 0), recent(2, 10, 0)), 4))
        .containsEntry(1L, 3)
        .containsEntry(2L, 1);
    assertThat(seats(List.of(recent(1, 5, 0), recent(2, 5, 0), recent(3, 5, 0)), 6))
        .containsEntry(1L, 2)
        .containsEntry(2L, 2)
        .containsEntry(3L, 2);
  }

  @Test
  void equal_accounts_take_turns_and_the_lower_id_goes_first() {
    List<WarmAccounts.Recent> order = WarmAccounts.order(List.of(recent(7, 4, 0), recent(3, 4, 0)));
    assertThat(order.get(0).scope().accountId()).isEqualTo(3);
    assertThat(seats(List.of(recent(7, 4, 0), recent(3, 4, 0)), 3))
        .containsEntry(3L, 2)
        .containsEntry(7L, 1);
  }

  @Test
  void runners_already_idle_count_so_the_next_goes_where_it_is_short() {
    // Account 1 had most jobs but already has three idle runners; account 2 has none.
    List<WarmAccounts.Recent> order = WarmAccounts.order(List.of(recent(1, 9, 3), recent(2, 4, 0)));
    assertThat(order).extracting(r -> r.scope().accountId()).containsExactly(2L, 1L);
  }

  @Test
  void an_account_with_few_jobs_still_gets_a_runner_once_the_busy_one_has_enough() {
    assertThat(seats(List.of(recent(1, 100, 0), recent(2, 1, 0)), 2))
        .containsEntry(1L, 2)
        .containsEntry(2L, 0);
    assertThat(seats(List.of(recent(1, 100, 0), recent(2, 1, 0)), 101)).containsEntry(2L, 1);
  }

  @Test
  void no_recent_account_means_no_order() {
    assertThat(WarmAccounts.order(List.of())).isEmpty();
  }
}
