package dev.runway.ui;

import dev.runway.accounts.Account;
import dev.runway.repos.RepositorySettings;
import io.javalin.http.Context;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accounts page: accounts, their caps and repositories (fair share), and the actions of {@code
 * runway accounts set} and {@code runway repos set|unset}.
 */
final class AccountsPage extends Page {
  private static final Logger log = LoggerFactory.getLogger(AccountsPage.class);

  AccountsPage(OperatorUi.Sources src, Templates templates) {
    super(src, templates);
  }

  void accountsPage(Context ctx, UiSessions.Session s) throws SQLException {
    Views.Frame frame = frame(s, "Accounts", "accounts");
    List<Account> list;
    List<Views.RepoRow> repos;
    try (Connection c = src.ds().getConnection()) {
      list = accounts.list(c);
      repos = repoRows(c);
    }
    ctx.html(templates.render("accounts.jte", new Views.AccountsPage(frame, list, repos)));
  }

  /** As {@code runway repos set}: replaces the repository's cap and weight. */
  void setRepository(Context ctx, UiSessions.Session s) throws SQLException {
    RepositorySettings.Setting setting;
    try {
      String max = blankToNull(ctx.formParam("max_concurrent"));
      String w = blankToNull(ctx.formParam("weight"));
      setting =
          new RepositorySettings.Setting(
              ctx.formParam("repository"),
              max == null ? null : Integer.valueOf(max),
              w == null ? 1 : Double.parseDouble(w));
    } catch (IllegalArgumentException e) {
      // NumberFormatException included: a cap that is not a whole number, a weight not a number.
      s.flash =
          "Not saved: "
              + (e instanceof NumberFormatException
                  ? "the cap must be a whole number and the weight a number above 0"
                  : e.getMessage())
              + ".";
      UiAuth.seeOther(ctx, "/ui/accounts");
      return;
    }
    try (Connection c = src.ds().getConnection()) {
      new RepositorySettings().set(c, setting, src.clock().instant());
    }
    log.info(
        "operator {} set repository {}: max_concurrent={} weight={}",
        s.operator,
        setting.repository(),
        setting.maxConcurrent(),
        setting.weight());
    s.flash =
        "Repository "
            + setting.repository()
            + ": "
            + (setting.maxConcurrent() == null
                ? "no cap of its own"
                : "at most " + setting.maxConcurrent() + " at once")
            + ", weight "
            + weight(setting.weight())
            + ".";
    UiAuth.seeOther(ctx, "/ui/accounts");
  }

  /** As {@code runway repos unset}. */
  void unsetRepository(Context ctx, UiSessions.Session s) throws SQLException {
    String repository = ctx.formParam("repository");
    boolean had;
    try (Connection c = src.ds().getConnection()) {
      had = new RepositorySettings().unset(c, repository);
    } catch (IllegalArgumentException e) {
      s.flash = "Not changed: " + e.getMessage() + ".";
      UiAuth.seeOther(ctx, "/ui/accounts");
      return;
    }
    log.info("operator {} unset repository {}", s.operator, repository);
    s.flash =
        had
            ? "Repository " + repository + ": no cap of its own, weight 1."
            : "Repository " + repository + " had no settings.";
    UiAuth.seeOther(ctx, "/ui/accounts");
  }

  void updateAccount(Context ctx, UiSessions.Session s) throws SQLException {
    String login = ctx.pathParam("login");
    Integer max = null;
    String maxText = blankToNull(ctx.formParam("max_concurrent"));
    if (maxText != null) {
      try {
        max = Integer.parseInt(maxText);
      } catch (NumberFormatException e) {
        max = -1;
      }
    }
    if (max != null && max < 0) {
      s.flash = "The cap must be a whole number, 0 or more.";
      UiAuth.seeOther(ctx, "/ui/accounts");
      return;
    }
    String enabled = ctx.formParam("enabled");
    Boolean on = enabled == null ? null : Boolean.valueOf("true".equals(enabled));
    try (Connection c = src.ds().getConnection()) {
      Optional<Account> changed = src.accountDirectory().update(c, login, max, on);
      if (changed.isEmpty()) {
        s.flash = "No account " + login + ".";
      } else {
        Account a = changed.get();
        log.info(
            "operator {} set account {}: runners_enabled={} max_concurrent={}",
            s.operator,
            login,
            a.runnersEnabled(),
            a.maxConcurrent());
        s.flash =
            "Account "
                + login
                + ": runners "
                + (a.runnersEnabled() ? "enabled" : "disabled")
                + ", at most "
                + a.maxConcurrent()
                + " at once. Jobs ignored before stay ignored until redispatched.";
      }
    }
    UiAuth.seeOther(ctx, "/ui/accounts");
  }
}
