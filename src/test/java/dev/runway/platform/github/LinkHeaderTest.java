package dev.runway.platform.github;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LinkHeaderTest {

  @Test
  void reads_the_cursor_of_the_next_link() {
    String header =
        "<https://api.github.com/app/hook/deliveries?per_page=100&cursor=v1_123%3D%3D>;"
            + " rel=\"next\", <https://api.github.com/app/hook/deliveries?per_page=100>;"
            + " rel=\"first\"";

    assertThat(LinkHeader.nextCursor(header)).contains("v1_123==");
  }

  @Test
  void finds_next_when_it_is_not_the_first_link() {
    String header =
        "<https://h/api/v3/app/hook/deliveries?cursor=a>; rel=\"prev\","
            + " <https://h/api/v3/app/hook/deliveries?cursor=b&per_page=100>; rel=\"next\"";

    assertThat(LinkHeader.nextCursor(header)).contains("b");
  }

  @Test
  void no_next_link_means_the_last_page() {
    assertThat(LinkHeader.nextCursor("<https://h/x?cursor=a>; rel=\"prev\"")).isEmpty();
    assertThat(LinkHeader.nextCursor(null)).isEmpty();
    assertThat(LinkHeader.nextCursor("")).isEmpty();
  }

  @Test
  void a_next_link_without_cursor_gives_no_cursor() {
    assertThat(LinkHeader.nextCursor("<https://h/x?page=2>; rel=\"next\"")).isEmpty();
  }

  @Test
  void reads_the_page_number_of_the_next_link_and_zero_without_one() {
    String header =
        "<https://api.github.com/repos/o/r/actions/runs?status=queued&per_page=100&page=1>;"
            + " rel=\"prev\", <https://api.github.com/repos/o/r/actions/runs?status=queued"
            + "&per_page=100&page=3>; rel=\"next\"";

    assertThat(LinkHeader.nextPage(header)).isEqualTo(3);
    assertThat(LinkHeader.nextPage("<https://h/x?page=1>; rel=\"prev\"")).isZero();
    assertThat(LinkHeader.nextPage("<https://h/x?page=two>; rel=\"next\"")).isZero();
    assertThat(LinkHeader.nextPage(null)).isZero();
  }
}
