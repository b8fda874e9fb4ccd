package dev.belfry.host.internal.ui;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The machine's own headless Chromium, driven by Selenium through the machine's own {@code chromedriver}: nothing
 * is downloaded (Debian: {@code apt-get install chromium chromium-driver}; elsewhere {@code BELFRY_CHROMIUM} and
 * {@code BELFRY_CHROMEDRIVER} name the two programs). Where either is missing the test is skipped with a message
 * saying so, never failed; CI installs both, so it never skips.
 */
final class HeadlessChromium implements AutoCloseable {
    private static final Path SCREENSHOTS = Path.of("target", "dashboard-screenshots");

    private final ChromeDriver driver;

    private HeadlessChromium(ChromeDriver driver) {
        this.driver = driver;
    }

    /** Starts a browser, or skips the calling test where the machine has none. */
    static HeadlessChromium startOrSkip() {
        Path browser = program("BELFRY_CHROMIUM", "/usr/bin/chromium", "/usr/bin/chromium-browser");
        Path chromedriver = program("BELFRY_CHROMEDRIVER", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        String skip = "browser tests skipped: no Chromium and chromedriver installed (apt-get install chromium"
                + " chromium-driver, or set BELFRY_CHROMIUM and BELFRY_CHROMEDRIVER)";
        if (browser == null || chromedriver == null) {
            System.err.println(skip);
            Assumptions.abort(skip);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser.toFile());
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--no-first-run", "--no-default-browser-check");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        return new HeadlessChromium(driver);
    }

    private static Path program(String variable, String... defaults) {
        String named = System.getenv(variable);
        if (named != null && !named.isBlank()) {
            return Files.isExecutable(Path.of(named)) ? Path.of(named) : null;
        }
        for (String candidate : defaults) {
            if (Files.isExecutable(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        return null;
    }

    ChromeDriver driver() {
        return driver;
    }

    /** @return the console's errors since the last call (messages at SEVERE: script errors, refused loads, CSP) */
    List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::getMessage).toList();
    }

    /** Saves what the browser shows as {@code target/dashboard-screenshots/NAME.png}. */
    Path screenshot(String name) throws IOException {
        Path file = SCREENSHOTS.resolve(name + ".png");
        Files.createDirectories(SCREENSHOTS);
        Files.move(driver.getScreenshotAs(OutputType.FILE).toPath(), file, StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    @Override
    public void close() {
        driver.quit();
    }
}
