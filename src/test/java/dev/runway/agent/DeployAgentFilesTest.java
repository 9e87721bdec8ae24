package dev.runway.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import picocli.CommandLine;

/** The systemd unit and the launchd plist in deploy/agent run a command line the agent accepts. */
class DeployAgentFilesTest {
  private static final Path DIR = Path.of("deploy/agent");

  @Test
  void the_systemd_unit_starts_an_agent_command_line_that_parses() throws Exception {
    String unit = Files.readString(DIR.resolve("runway-agent.service"));
    int start = unit.indexOf("ExecStart=");
    StringBuilder line = new StringBuilder();
    for (String l : unit.substring(start + "ExecStart=".length()).split("\n")) {
      line.append(l.replace("\\", " "));
      if (!l.endsWith("\\")) {
        break;
      }
    }
    List<String> args = new ArrayList<>(Arrays.asList(line.toString().trim().split("\\s+")));
    assertParses(args);
    assertThat(unit).contains("KillSignal=SIGTERM").contains("TimeoutStopSec=");
    // An agent that exits with an error is started again; no exit status is exempt.
    assertThat(unit.lines().map(String::trim)).contains("Restart=on-failure");
    assertThat(unit).doesNotContain("RestartPreventExitStatus");
  }

  @Test
  void launchd_restarts_an_agent_that_exits_with_an_error() throws Exception {
    String plist = Files.readString(DIR.resolve("dev.runway.agent.plist")).replaceAll("\\s+", "");
    assertThat(plist)
        .contains("<key>KeepAlive</key><dict><key>SuccessfulExit</key><false/>")
        .contains("<key>ThrottleInterval</key><integer>");
  }

  @Test
  void the_launchd_plist_is_xml_and_starts_an_agent_command_line_that_parses() throws Exception {
    var factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    var doc = factory.newDocumentBuilder().parse(DIR.resolve("dev.runway.agent.plist").toFile());
    NodeList keys = doc.getElementsByTagName("key");
    List<String> args = new ArrayList<>();
    for (int i = 0; i < keys.getLength(); i++) {
      if (keys.item(i).getTextContent().equals("ProgramArguments")) {
        Element array = (Element) keys.item(i).getNextSibling().getNextSibling();
        NodeList strings = array.getElementsByTagName("string");
        for (int j = 0; j < strings.getLength(); j++) {
          args.add(strings.item(j).getTextContent());
        }
      }
    }
    assertParses(args);
  }

  private static void assertParses(List<String> javaCommand) {
    int agent = javaCommand.indexOf("agent");
    assertThat(javaCommand.subList(0, agent)).contains("-jar");
    AgentCommand command = new AgentCommand();
    new CommandLine(command)
        .parseArgs(javaCommand.subList(agent + 1, javaCommand.size()).toArray(String[]::new));
    assertThat(command.pool).isNotBlank();
    assertThat(command.slots).isPositive();
    assertThat(command.runnerArgs).contains("--disableupdate");
  }
}
