package dev.runway.providers;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class InstanceTokensTest {
  private final InstanceTokens tokens = new InstanceTokens();
  private final Instant now = Instant.parse("2026-12-03T06:00:00Z");

  private InstanceRepository.Access access(
      String name, byte[] hash, String phase, Instant expires) {
    return new InstanceRepository.Access(1, "vm", name, phase, hash, expires, "jit");
  }

  @Test
  void a_token_names_its_instance_and_only_its_own_hash_matches() {
    InstanceTokens.Minted a = tokens.mint("runway-vm-1");
    InstanceTokens.Minted b = tokens.mint("runway-vm-2");
    assertThat(a.token()).startsWith("runway-vm-1.rwi_");
    assertThat(InstanceTokens.instanceOf(a.token())).isEqualTo("runway-vm-1");
    var rowA = access("runway-vm-1", a.hash(), InstanceRepository.CREATED, now.plusSeconds(60));
    assertThat(InstanceTokens.valid(rowA, a.token(), now)).isTrue();
    assertThat(InstanceTokens.valid(rowA, b.token(), now)).isFalse();
    String mixed = "runway-vm-1" + b.token().substring(b.token().lastIndexOf('.'));
    assertThat(InstanceTokens.valid(rowA, mixed, now)).isFalse();
    assertThat(a.toString()).doesNotContain(a.token());
  }

  @Test
  void a_token_is_useless_once_expired_or_its_instance_is_being_deleted() {
    InstanceTokens.Minted a = tokens.mint("runway-vm-1");
    assertThat(
            InstanceTokens.valid(
                access("runway-vm-1", a.hash(), InstanceRepository.CREATED, now), a.token(), now))
        .isFalse();
    assertThat(
            InstanceTokens.valid(
                access("runway-vm-1", a.hash(), InstanceRepository.DELETING, now.plusSeconds(60)),
                a.token(),
                now))
        .isFalse();
  }

  @Test
  void a_token_without_an_instance_name_names_none() {
    assertThat(InstanceTokens.instanceOf(null)).isNull();
    assertThat(InstanceTokens.instanceOf("garbage")).isNull();
    assertThat(InstanceTokens.instanceOf(".x")).isNull();
  }
}
