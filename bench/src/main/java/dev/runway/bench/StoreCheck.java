package dev.runway.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code runway-bench store-check}: how many of the deliveries a {@code load --record FILE} run got
 * a 2xx for are in the inbox; or, with {@code --sql}, runs one statement against the service's
 * database and prints its first value or its update count (to seed rows for a measurement).
 */
@Command(
    name = "store-check",
    mixinStandardHelpOptions = true,
    description = "Count a recorded run's acknowledged deliveries in the inbox, or run one SQL.")
final class StoreCheck implements Callable<Integer> {
  @Option(names = "--data-dir", required = true, description = "Runway data dir (embedded DB)")
  Path dataDir;

  @Option(names = "--record", description = "a load generator's --record file")
  Path record;

  @Option(names = "--sql", description = "one statement to run instead")
  String sql;

  @Override
  public Integer call() throws Exception {
    String url = Files.readString(dataDir.resolve("embedded-jdbc-url")).trim();
    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres")) {
      if (sql != null) {
        try (Statement st = c.createStatement()) {
          st.setQueryTimeout(0);
          boolean rows = st.execute(sql);
          if (rows) {
            try (ResultSet rs = st.getResultSet()) {
              System.out.println(rs.next() ? rs.getString(1) : "");
            }
          } else {
            System.out.println(st.getUpdateCount());
          }
        }
        return 0;
      }
      List<String> acked = new ArrayList<>();
      for (String line : Files.readAllLines(record)) {
        String[] f = line.split(",");
        if (f.length == 4 && f[3].startsWith("2")) {
          acked.add(f[0]);
        }
      }
      long stored;
      try (PreparedStatement ps =
          c.prepareStatement("select count(*) from inbox where guid = any(?)")) {
        Array a = c.createArrayOf("text", acked.toArray());
        ps.setArray(1, a);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          stored = rs.getLong(1);
        }
      }
      System.out.println("{\"acknowledged\":" + acked.size() + ",\"stored\":" + stored + "}");
      return stored == acked.size() ? 0 : 1;
    }
  }
}
