package dev.runway.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.Main;
import dev.runway.operators.OperatorTokens;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.GitHubStub;
import dev.runway.platform.github.TestKeys;
import dev.runway.testing.Browser;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator UI in a real headless Chromium, against the service on a free port with a real
 * PostgreSQL, a pools file and WireMock as GitHub (checking the App JWT of every call).
 */
class OperatorUiIT {
  static final String APP_ID = "4711";
  static final TestKeys KEYS = TestKeys.generate();
  static final String POOLS =
      """
      pools:
        - name: linux-x64
          labels: [linux, x64]
          maxRunners: 2
      """;
  static final AtomicLong JOB_IDS = new AtomicLong(70_000);

  @TempDir static Path dir;
  static GitHubStub github;
  static RunwayHarness svc;
  static Browser browser;
  static String operatorToken;
  final HttpClient http = HttpClient.newHttpClient();
  UiClient ui;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(dir.resolve("pools.yaml"), POOLS);
    github = GitHubStub.start(APP_ID, KEYS);
    svc =
        RunwayHarness.start(
            dir,
            TestDatabases.fresh(),
            Map.of(
                RunwayConfig.GITHUB_APP_ID,
                APP_ID,
                RunwayConfig.GITHUB_PRIVATE_KEY_FILE,
                KEYS.writePkcs1(dir, "app.pem").toString(),
                RunwayConfig.GITHUB_API_URL,
                github.apiUrl().toString(),
                RunwayConfig.REDELIVERY_ENABLED,
                "false"));
    svc.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
            + " values ('acme', 4242, true, 10)");
    try (Connection c = svc.connect()) {
      operatorToken = new OperatorTokens().create(c, "ui-test").secret();
    }
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (svc != null) {
      svc.close();
    }
    if (github != null) {
      github.close();
    }
  }

  @BeforeEach
  void freshBrowser() throws Exception {
    ui = new UiClient(svc.adminBase());
    browser.width(1280);
    browser.driver.get(url("/ui/login"));
    browser.driver.manage().deleteAllCookies();
  }

  static String url(String path) {
    return svc.adminBase().resolve(path).toString();
  }

  static void login(String token) {
    var d = browser.driver;
    d.get(url("/ui/login"));
    d.findElement(By.id("token")).sendKeys(token);
    clickToNavigate(d.findElement(By.cssSelector("#login button[type=submit]")));
  }

  /**
   * Clicks and waits until the next page replaced this one: a click only starts a navigation, and
   * reading or loading the next page before it finished would see the old one or cancel it.
   */
  static void clickToNavigate(WebElement element) {
    WebElement page = browser.driver.findElement(By.tagName("html"));
    element.click();
    // Chrome sometimes reports the old page's node as "does not belong to the document" rather
    // than stale; both mean the next page replaced it.
    waiting()
        .until(
            driver -> {
              try {
                page.isEnabled();
                return false;
              } catch (org.openqa.selenium.WebDriverException gone) {
                return true;
              }
            });
  }

  static WebDriverWait waiting() {
    return new WebDriverWait(browser.driver, Duration.ofSeconds(20));
  }

  @Test
  void login_with_an_operator_token_opens_the_overview_and_a_wrong_token_is_refused()
      throws Exception {
    var d = browser.driver;
    d.get(url("/ui/jobs"));
    assertThat(d.getCurrentUrl()).endsWith("/ui/login");

    login("rwo_not-a-real-token");
    assertThat(d.findElement(By.id("login-error")).getText())
        .contains("not a live operator token")
        .doesNotContain("`");
    assertThat(d.manage().getCookieNamed(UiAuth.SESSION_COOKIE)).isNull();
    assertThat(d.getCurrentUrl()).endsWith("/ui/login");

    login(operatorToken);
    waiting().until(ExpectedConditions.urlToBe(url("/ui")));
    assertThat(d.findElement(By.tagName("h1")).getText()).startsWith("Overview");
    assertThat(d.findElement(By.className("who")).getText()).isEqualTo("ui-test");
    Cookie session = d.manage().getCookieNamed(UiAuth.SESSION_COOKIE);
    assertThat(session).isNotNull();
    assertThat(session.isHttpOnly()).isTrue();
    assertThat(session.getSameSite()).isEqualTo("Strict");
    assertThat(session.getValue()).doesNotContain(operatorToken).isNotEqualTo(operatorToken);
    // The charts are drawn by uPlot from this origin's script (the page allows no inline script).
    waiting()
        .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#chart-depth .uplot")));
    browser.screenshot("overview-1280");

    clickToNavigate(d.findElement(By.cssSelector(".logout button")));
    waiting().until(ExpectedConditions.urlToBe(url("/ui/login")));
    d.get(url("/ui"));
    assertThat(d.getCurrentUrl()).endsWith("/ui/login");
  }

  @Test
  void an_ignored_job_says_why_and_redispatch_after_adding_a_pool_makes_it_claimable()
      throws Exception {
    long job = JOB_IDS.incrementAndGet();
    assertThat(deliver(job, "build", "linux", "riscv")).isEqualTo("no_matching_pool");

    login(operatorToken);
    var d = browser.driver;
    d.get(url("/ui/jobs?outcome=no_matching_pool"));
    clickToNavigate(d.findElement(By.linkText(String.valueOf(job))));
    String reason = d.findElement(By.id("job-reason")).getText();
    assertThat(reason).contains("No pool offers all of the job's labels linux, riscv");
    assertThat(reason).contains("No pool offers riscv at all");
    assertThat(d.findElement(By.id("job-claimable")).getText()).startsWith("no");

    Files.writeString(
        dir.resolve("pools.yaml"), POOLS + "  - name: riscv\n    labels: [linux, riscv]\n");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> svc.metric("runway_pools{source=\"file\"}") == 2);

    clickToNavigate(d.findElement(By.cssSelector("#redispatch button")));
    assertThat(d.findElement(By.id("flash")).getText()).contains("Queued for redispatch");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              d.navigate().refresh();
              assertThat(d.findElement(By.id("job-claimable")).getText())
                  .isEqualTo("yes, in pool riscv");
            });
    // Claimable now, it still waits (no runner claims in riscv), and says so: the ignore
    // explanation has given way to the ledger's wait reason (issue 22: every waiting job has one).
    assertThat(d.findElement(By.id("job-reason")).getText())
        .contains("launching")
        .doesNotContain("No pool offers");
    assertThat(d.findElements(By.id("redispatch"))).isEmpty();
    browser.screenshot("job-timeline-1280");

    // Claimable for real: the riscv pool's agent claims exactly this job.
    github.stubInstallationToken(4242);
    github.stubOrgJitConfig("acme", 9, "ZW5jb2RlZA");
    String agentToken = poolToken("riscv");
    HttpResponse<String> claim =
        http.send(
            HttpRequest.newBuilder(svc.base().resolve("/api/v1/pools/riscv/claims"))
                .header("Authorization", "Bearer " + agentToken)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(claim.statusCode()).isEqualTo(200);
    assertThat(claim.body()).contains("\"job_id\":" + job);
    long claimId = Long.parseLong(claim.body().replaceAll("(?s).*\"claim_id\":(\\d+).*", "$1"));
    assertThat(claimEvent(claimId, agentToken, "{\"event\":\"launching\"}")).isEqualTo(200);
    d.navigate().refresh();
    assertThat(d.findElement(By.id("job-status")).getText()).isEqualTo("claimed");
    assertThat(d.findElement(By.id("timeline")).getText())
        .contains("claimed")
        .containsPattern("\\d{2}Z runner launched runner \\S+ is launching");
    assertThat(d.findElements(By.cssSelector("#job-claims tbody tr"))).hasSize(1);
    assertThat(d.findElement(By.id("job-deliveries")).getText()).contains("no_matching_pool");
    browser.screenshot("job-claimed-1280");
    d.get(url("/ui/pools"));
    assertThat(d.findElement(By.id("pool-riscv")).getText())
        .contains("0 claimed, 1 launching, 0 running")
        .doesNotContain("idle");
    // A warm runner (minIdle) that is up and waits for a job shows as idle, not as running.
    svc.exec(
        "insert into claims (pool, account_id, runner_name, status, leased_until, created_at,"
            + " warm, runner_owner, runner_org, state)"
            + " select 'riscv', id, 'runway-riscv-warm-ui', 'active', now() + interval '1 hour',"
            + " now(), true, 'acme', true, 'running' from accounts where login = 'acme'");
    d.navigate().refresh();
    assertThat(d.findElement(By.id("pool-riscv")).getText())
        .contains("0 claimed, 1 launching, 0 running, 1 idle");
    svc.exec("delete from claims where runner_name = 'runway-riscv-warm-ui'");

    // An outdated runner exits before its job: the pool shows the failure with its reason.
    assertThat(
            claimEvent(
                claimId,
                agentToken,
                "{\"event\":\"exited\",\"exit_code\":7,\"job_started\":false,"
                    + "\"deprecated_version\":true}"))
        .isEqualTo(200);
    d.navigate().refresh();
    assertThat(d.findElement(By.id("pool-riscv")).getText()).contains("runner_outdated: 1");
    browser.screenshot("pool-failure-1280");
  }

  private int claimEvent(long claimId, String token, String body) throws Exception {
    return http.send(
            HttpRequest.newBuilder(svc.base().resolve("/api/v1/claims/" + claimId + "/events"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  @Test
  void jobs_ignored_for_one_outcome_are_redispatched_together_as_the_cli_does() throws Exception {
    long first = JOB_IDS.incrementAndGet();
    long second = JOB_IDS.incrementAndGet();
    for (long job : new long[] {first, second}) {
      String guid = UUID.randomUUID().toString();
      svc.post(
          "workflow_job",
          guid,
          Signed.workflowJob("queued", job, 1, "hooli", 6262L, null, null, "linux", "x64"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> svc.text("select outcome from inbox where guid = ?", guid) != null);
    }
    assertThat(
            svc.count(
                "select count(*) from jobs where owner_login = 'hooli' and outcome = 'no_account'"))
        .isEqualTo(2);
    svc.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
            + " values ('hooli', 6262, true, 5)");

    login(operatorToken);
    var d = browser.driver;
    d.get(url("/ui/jobs?outcome=no_account"));
    d.findElement(By.cssSelector("#redispatch-all button")).click();
    waiting().until(ExpectedConditions.alertIsPresent()).accept();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("flash")));
    assertThat(d.findElement(By.id("flash")).getText())
        .matches("[1-9]\\d* job\\(s\\) queued for redispatch");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                svc.count(
                        "select count(*) from jobs where owner_login = 'hooli'"
                            + " and outcome is null and pool = 'linux-x64'")
                    == 2);
  }

  @Test
  void a_failed_deliverys_redeliver_button_asks_first_then_calls_github() throws Exception {
    long deliveryId = 987_654_321L;
    String guid = UUID.randomUUID().toString();
    svc.exec(
        "insert into redeliveries (guid, delivery_id, event, action, attempts, last_result,"
            + " last_detail, given_up, given_up_at) values (?, ?, 'workflow_job', 'queued', 3,"
            + " 'failed', 'Validation Failed', true, now())",
        guid,
        deliveryId);
    github.stubRedeliver(deliveryId);

    login(operatorToken);
    var d = browser.driver;
    assertThat(d.findElement(By.className("alert")).getText()).contains("given up");
    d.get(url("/ui/deliveries"));
    WebElement row = rowOf("redeliveries", guid);
    assertThat(row.getText()).contains("given up");
    row.findElement(By.cssSelector("form.redeliver button")).click();
    Alert confirm = waiting().until(ExpectedConditions.alertIsPresent());
    assertThat(confirm.getText()).contains(String.valueOf(deliveryId)).contains(guid);
    confirm.dismiss();
    assertThat(d.findElements(By.id("flash"))).isEmpty();
    assertThat(github.redeliveryRequests(deliveryId)).isZero();

    rowOf("redeliveries", guid).findElement(By.cssSelector("form.redeliver button")).click();
    waiting().until(ExpectedConditions.alertIsPresent()).accept();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("flash")));
    assertThat(d.findElement(By.id("flash")).getText())
        .isEqualTo("GitHub accepted the redelivery of delivery " + deliveryId + ".");
    assertThat(github.redeliveryRequests(deliveryId)).isEqualTo(1);
    assertThat(github.authRejections()).isEmpty();
    browser.screenshot("deliveries-1280");
  }

  @Test
  void no_page_is_served_without_the_session_cookie() throws Exception {
    for (String page : OperatorUi.PAGES) {
      for (String cookie : new String[] {null, UiAuth.SESSION_COOKIE + "=forged-session-id"}) {
        HttpResponse<String> r = ui.get(page, cookie);
        assertThat(r.statusCode()).as(page).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).as(page).hasValue("/ui/login");
        assertThat(r.body()).as(page).isEmpty();
      }
    }
    for (String action :
        List.of(
            "/ui/jobs/1/1/redispatch",
            "/ui/deliveries/redeliver",
            "/ui/accounts/acme",
            "/ui/logout")) {
      assertThat(ui.post(action, null, Map.of("_csrf", "x", "enabled", "false")).statusCode())
          .as(action)
          .isEqualTo(403);
    }
    assertThat(svc.text("select runners_enabled::text from accounts where login = 'acme'"))
        .isEqualTo("true");
    // The public port (GitHub's and the agents') does not serve the UI at all.
    HttpResponse<String> publicPort =
        http.send(
            HttpRequest.newBuilder(svc.base().resolve("/ui/login")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(publicPort.statusCode()).isEqualTo(404);
    // The token as a bearer header is not a session either.
    HttpResponse<String> bearer =
        http.send(
            HttpRequest.newBuilder(svc.adminBase().resolve("/ui"))
                .header("Authorization", "Bearer " + operatorToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bearer.statusCode()).isEqualTo(303);
  }

  @Test
  void repository_settings_are_set_on_the_accounts_page_and_waiting_repositories_say_why()
      throws Exception {
    // acme/web has three claimable jobs in pool linux-x64 and one running; acme/docs one claimable.
    svc.exec(
        "insert into jobs (job_id, run_attempt, repository, owner_login, account_id, pool, status,"
            + " labels, received_at, updated_at)"
            + " select 90000 + g, 1, case when g = 4 then 'acme/docs' else 'acme/web' end, 'acme',"
            + " a.id, 'linux-x64', case when g = 0 then 'in_progress' else 'queued' end, '{linux}',"
            + " now(), now() from accounts a, generate_series(0, 4) g where a.login = 'acme'");
    try {
      String session = ui.login(operatorToken);
      String csrf = UiClient.csrf(ui.get("/ui/accounts", session).body());

      // Refused input changes nothing and says why.
      assertThat(
              ui.post(
                      "/ui/repos",
                      session,
                      Map.of("repository", "not-a-repo", "weight", "1", "_csrf", csrf))
                  .statusCode())
          .isEqualTo(303);
      assertThat(ui.get("/ui/accounts", session).body()).contains("OWNER/REPO");
      assertThat(svc.count("select count(*) from repository_settings")).isZero();

      assertThat(
              ui.post(
                      "/ui/repos",
                      session,
                      Map.of(
                          "repository", "acme/web",
                          "max_concurrent", "1",
                          "weight", "2",
                          "_csrf", csrf))
                  .statusCode())
          .isEqualTo(303);
      assertThat(
              svc.text(
                  "select max_concurrent || '/' || weight from repository_settings"
                      + " where repository_key = 'acme/web'"))
          .isEqualTo("1/2");

      String accounts = ui.get("/ui/accounts", session).body();
      assertThat(accounts).contains("id=\"repo-acme/web\"", "id=\"repo-acme/docs\"");
      String web = accounts.substring(accounts.indexOf("id=\"repo-acme/web\""));
      assertThat(web.substring(0, web.indexOf("</tr>")))
          .contains("<td class=\"why\">repository_cap</td>", "value=\"1\"", "value=\"2\"");

      String pools = ui.get("/ui/pools", session).body();
      String waitingWeb = pools.substring(pools.indexOf("id=\"waiting-acme/web\""));
      assertThat(waitingWeb.substring(0, waitingWeb.indexOf("</tr>")))
          .contains("repository_cap", "linux-x64");
      String waitingDocs = pools.substring(pools.indexOf("id=\"waiting-acme/docs\""));
      assertThat(waitingDocs.substring(0, waitingDocs.indexOf("</tr>")))
          .contains("waiting for a runner");

      assertThat(
              ui.post("/ui/repos/unset", session, Map.of("repository", "acme/web", "_csrf", csrf))
                  .statusCode())
          .isEqualTo(303);
      assertThat(svc.count("select count(*) from repository_settings")).isZero();
    } finally {
      svc.exec("delete from jobs where job_id between 90000 and 90004");
    }
  }

  @Test
  void a_state_changing_request_without_the_csrf_token_is_refused() throws Exception {
    svc.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
            + " values ('initech', 5151, true, 4) on conflict do nothing");
    // The login form itself carries a token tied to a cookie.
    HttpResponse<String> form = ui.get("/ui/login", null);
    String loginCookie = UiClient.cookie(form, UiAuth.LOGIN_COOKIE);
    String loginCsrf = UiClient.csrf(form.body());
    assertThat(ui.post("/ui/login", loginCookie, Map.of("token", operatorToken)).statusCode())
        .isEqualTo(403);
    HttpResponse<String> in =
        ui.post("/ui/login", loginCookie, Map.of("token", operatorToken, "_csrf", loginCsrf));
    assertThat(in.statusCode()).isEqualTo(303);
    String session = UiClient.cookie(in, UiAuth.SESSION_COOKIE);
    assertThat(in.headers().allValues("Set-Cookie"))
        .anySatisfy(
            c -> assertThat(c).startsWith("runway_ui=").contains("HttpOnly", "SameSite=Strict"));

    HttpResponse<String> page = ui.get("/ui/accounts", session);
    assertThat(page.statusCode()).isEqualTo(200);
    String csrf = UiClient.csrf(page.body());

    Map<String, String> disable = Map.of("enabled", "false", "max_concurrent", "1");
    assertThat(ui.post("/ui/accounts/initech", session, disable).statusCode()).isEqualTo(403);
    assertThat(
            ui.post(
                    "/ui/accounts/initech",
                    session,
                    Map.of("enabled", "false", "max_concurrent", "1", "_csrf", csrf + "x"))
                .statusCode())
        .isEqualTo(403);
    assertThat(
            svc.text(
                "select runners_enabled || '/' || max_concurrent from accounts where login = 'initech'"))
        .isEqualTo("true/4");

    HttpResponse<String> done =
        ui.post(
            "/ui/accounts/initech",
            session,
            Map.of("enabled", "false", "max_concurrent", "1", "_csrf", csrf));
    assertThat(done.statusCode()).isEqualTo(303);
    assertThat(
            svc.text(
                "select runners_enabled || '/' || max_concurrent from accounts where login = 'initech'"))
        .isEqualTo("false/1");
  }

  @Test
  void a_job_named_like_a_script_is_rendered_as_text() throws Exception {
    String evil = "<script>alert(1)</script>";
    long job = JOB_IDS.incrementAndGet();
    assertThat(deliver(job, evil, "linux", "x64")).isEqualTo("queued");

    login(operatorToken);
    var d = browser.driver;
    d.get(url("/ui/jobs"));
    WebElement row = rowOf("jobs", String.valueOf(job));
    assertThat(row.findElement(By.className("name")).getText()).isEqualTo(evil);
    d.get(url("/ui/jobs/" + job + "/1"));
    assertThat(d.findElement(By.id("job-name")).getText()).isEqualTo(evil);
    for (String page : List.of("/ui/jobs", "/ui/jobs/" + job + "/1")) {
      d.get(url(page));
      assertThat(d.findElements(By.cssSelector("main script"))).isEmpty();
      List<String> scripts =
          d.findElements(By.tagName("script")).stream()
              .map(s -> String.valueOf(s.getDomAttribute("src")))
              .toList();
      assertThat(scripts).allMatch(src -> src.startsWith("/ui/assets/"));
      assertThat(d.getPageSource()).doesNotContain(evil).contains("&lt;script&gt;alert(1)");
      assertThat(alertShown()).isFalse();
    }
  }

  @Test
  void every_page_fits_a_phone_and_a_laptop_without_sideways_scrolling() throws Exception {
    long job = JOB_IDS.incrementAndGet();
    deliver(job, "a-rather-long-job-name-that-could-push-the-layout-sideways", "linux", "x64");
    long done = JOB_IDS.incrementAndGet();
    deliver(done, "test (ubuntu, 17)", "linux", "x64");
    String runner = "runway-linux-x64-7f3a9c";
    for (String action : List.of("in_progress", "completed")) {
      String guid = UUID.randomUUID().toString();
      String conclusion = action.equals("completed") ? "success" : null;
      svc.post(
          "workflow_job",
          guid,
          Signed.workflowJob(action, done, 1, "acme", 4242L, runner, conclusion, "linux", "x64")
              .replace("\"name\":\"build\"", "\"name\":\"test (ubuntu, 17)\""));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> svc.text("select outcome from inbox where guid = ?", guid) != null);
    }
    login(operatorToken);
    var d = browser.driver;
    d.get(url("/ui/jobs/" + done + "/1"));
    assertThat(d.findElement(By.id("timeline")).getText())
        .contains("in progress " + runner)
        .contains("completed success");
    browser.screenshot("job-completed-1280");
    // The in-process charts need two samples of the meters (10 s apart) to show a rate.
    await()
        .atMost(Duration.ofSeconds(40))
        .untilAsserted(
            () -> {
              d.get(url("/ui"));
              assertThat(d.findElements(By.cssSelector("#chart-webhooks .uplot"))).isNotEmpty();
            });
    for (int width : new int[] {390, 1280}) {
      browser.width(width);
      for (String page :
          List.of(
              "/ui",
              "/ui/pools",
              "/ui/jobs",
              "/ui/jobs/" + job + "/1",
              "/ui/deliveries",
              "/ui/accounts")) {
        d.get(url(page));
        assertThat(d.getCurrentUrl()).as(page).isEqualTo(url(page));
        assertThat(browser.scrollsSideways()).as(page + " at " + width + " px").isFalse();
        String name = page.equals("/ui") ? "overview" : page.substring(4).replace('/', '-');
        browser.screenshot(name + "-" + width);
      }
    }
    d.get(url("/ui/pools"));
    assertThat(d.findElement(By.id("pool-linux-x64")).getText())
        .contains("linux", "x64")
        .contains("of 2");
  }

  private static boolean alertShown() {
    try {
      browser.driver.switchTo().alert();
      return true;
    } catch (NoAlertPresentException e) {
      return false;
    }
  }

  private static WebElement rowOf(String table, String text) {
    return browser.driver.findElements(By.cssSelector("#" + table + " tbody tr")).stream()
        .filter(r -> r.getText().contains(text))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row with " + text + " in #" + table));
  }

  /** Sends a queued event for a job of acme and returns its delivery's settled outcome. */
  private static String deliver(long job, String name, String... labels) throws Exception {
    String guid = UUID.randomUUID().toString();
    String body =
        Signed.workflowJob("queued", job, 1, "acme", 4242L, null, null, labels)
            .replace("\"name\":\"build\"", "\"name\":" + jsonString(name));
    assertThat(svc.post("workflow_job", guid, body).statusCode()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> svc.text("select outcome from inbox where guid = ?", guid) != null);
    return svc.text("select outcome from inbox where guid = ?", guid);
  }

  private static String jsonString(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String poolToken(String pool) {
    StringWriter out = new StringWriter();
    int code =
        Main.commandLine(
                Map.of(
                    RunwayConfig.DATABASE_URL, svc.jdbcUrl,
                    RunwayConfig.DATABASE_USER, "postgres",
                    RunwayConfig.DATABASE_PASSWORD, "postgres"),
                new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true))
            .execute("pools", "token", "create", pool, "--force");
    assertThat(code).isZero();
    return out.toString().trim();
  }
}
