package dev.runway.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PoolsFileParserTest {

  private final PoolsFileParser parser = new PoolsFileParser();

  @Test
  void defaults_runner_group_to_one_and_max_runners_to_none() throws Exception {
    assertThat(parse("- name: a\n  labels: [x]\n"))
        .containsExactly(new Pool("a", List.of("x"), null, 1));
  }

  @Test
  void rerun_on_runner_loss_defaults_to_zero_and_must_not_be_negative() throws Exception {
    assertThat(parse("- name: a\n  labels: [x]\n").get(0).rerunOnRunnerLoss()).isZero();
    assertThat(parse("- name: a\n  labels: [x]\n  rerunOnRunnerLoss: 2\n").get(0))
        .isEqualTo(new Pool("a", List.of("x"), null, 1, 2));
    assertThatThrownBy(() -> parse("- name: a\n  labels: [x]\n  rerunOnRunnerLoss: -1\n"))
        .hasMessageContaining("rerunOnRunnerLoss must be an integer of at least 0, got -1");
  }

  @Test
  void a_pool_may_have_an_empty_label_list() throws Exception {
    assertThat(parse("- name: a\n  labels: []\n")).containsExactly(new Pool("a", List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          missing name          | '- labels: [x]'                                 | name is required
          blank name            | '- {name: " ", labels: [x]}'                    | name is required
          missing labels        | '- name: a'                                     | labels is required
          labels not a list     | '- {name: a, labels: x}'                        | labels must be a list
          blank label           | '- {name: a, labels: [""]}'                     | non-blank string
          maxRunners zero       | '- {name: a, labels: [x], maxRunners: 0}'       | maxRunners must be an integer of at least 1
          maxRunners text       | '- {name: a, labels: [x], maxRunners: many}'    | maxRunners must be an integer
          runnerGroupId zero    | '- {name: a, labels: [x], runnerGroupId: 0}'    | runnerGroupId must be an integer of at least 1
          duplicate names       | '[{name: a, labels: [x]}, {name: a, labels: [y]}]' | duplicate pool name
          unknown key           | '- {name: a, labels: [x], maxRunner: 2}'        | unknown key "maxRunner"
          unknown top-level key | 'pool: []'                                      | unknown key "pool"
          scalar document       | 'hello'                                         | expected a list of pools
          duplicate yaml key    | '- {name: a, name: b, labels: [x]}'             | not valid YAML
          """)
  void rejects_an_invalid_file_saying_why(String description, String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PoolsFileParser.InvalidPoolsFile.class)
        .hasMessageContaining(message);
  }

  @Test
  void reports_every_problem_at_once() {
    assertThatThrownBy(
            () -> parse("- {name: a, labels: [x], maxRunners: 0}\n- {name: b, runnerGroupId: -1}"))
        .hasMessageContaining("pools[0]")
        .hasMessageContaining("pools[1] (\"b\"): labels is required")
        .hasMessageContaining("runnerGroupId");
  }

  private List<Pool> parse(String yaml) throws PoolsFileParser.InvalidPoolsFile {
    return parser.parse(yaml.getBytes(StandardCharsets.UTF_8));
  }
}
