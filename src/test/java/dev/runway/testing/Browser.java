package dev.runway.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real headless Chromium driven through Selenium, from Debian's {@code chromium} and {@code
 * chromium-driver} packages. The driver path is given explicitly so that Selenium Manager never
 * tries to download a browser. Without the packages the test fails on CI ({@code CI=true}) and is
 * skipped elsewhere, with the command that installs them.
 */
public final class Browser implements AutoCloseable {
  public static final String INSTALL =
      "apt-get update && apt-get install -y chromium chromium-driver";
  private static final File DRIVER = new File("/usr/bin/chromedriver");
  private static final File[] BINARIES = {
    new File("/usr/bin/chromium"), new File("/usr/bin/chromium-browser")
  };

  public final ChromeDriver driver;
  private final Path profile;

  private Browser(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  public static Browser start() throws IOException {
    File binary = null;
    for (File b : BINARIES) {
      if (b.canExecute()) {
        binary = b;
      }
    }
    if (binary == null || !DRIVER.canExecute()) {
      String message = "browser tests need Chromium and its driver: " + INSTALL;
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new IllegalStateException(message);
      }
      Assumptions.abort(message);
    }
    Path profile = Files.createTempDirectory("runway-chromium-");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER).usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(binary);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--user-data-dir=" + profile);
    return new Browser(new ChromeDriver(service, options), profile);
  }

  /** Sets the viewport's width (the window's height follows a phone's or a laptop's shape). */
  public void width(int px) {
    driver.manage().window().setSize(new Dimension(px, px < 600 ? 844 : 900));
    // The window includes no chrome in headless mode, but check rather than trust it.
    long inner = ((Number) driver.executeScript("return window.innerWidth")).longValue();
    if (Math.abs(inner - px) > 20) {
      throw new IllegalStateException("asked for a " + px + " px viewport, got " + inner);
    }
  }

  /** Whether the page is wider than the viewport, i.e. scrolls sideways. */
  public boolean scrollsSideways() {
    return (Boolean)
        driver.executeScript("return document.documentElement.scrollWidth > window.innerWidth + 1");
  }

  /** Saves a full-window screenshot as {@code target/ui-screenshots/NAME.png}. */
  public Path screenshot(String name) throws IOException {
    Path dir = Path.of("target", "ui-screenshots");
    Files.createDirectories(dir);
    Path to = dir.resolve(name + ".png");
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), to, StandardCopyOption.REPLACE_EXISTING);
    return to;
  }

  @Override
  public void close() {
    driver.quit();
    try (var files = Files.walk(profile)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temporary profile is harmless.
    }
  }
}
