package dev.belfry.host.internal.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.deque.html.axecore.results.Results;
import com.deque.html.axecore.results.Rule;
import com.deque.html.axecore.selenium.AxeBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium against the distribution's {@code belfry run} with the example plugins,
 * started once for the class: an operator logs in with the link {@code belfry dashboard} prints, filters and
 * searches, opens a job, triggers it, pauses and resumes it, sees a run appear without reloading the page; a viewer
 * cannot act. Every page is checked for console errors and with axe-core (no serious or critical violation), and
 * saved as a screenshot (target/dashboard-screenshots; docs/dashboard.md shows them).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final Set<String> BLOCKING_IMPACTS = Set.of("serious", "critical");

    @TempDir
    static Path dir;

    private static DistributionProcess host;
    private HeadlessChromium browser;
    private ChromeDriver driver;

    @BeforeAll
    static void startHost() throws Exception {
        host = DistributionProcess.runWithExamplePlugins(dir);
    }

    @AfterAll
    static void stopHost() throws Exception {
        if (host != null) {
            host.close();
        }
    }

    @BeforeEach
    void openBrowser() {
        browser = HeadlessChromium.startOrSkip();
        driver = browser.driver();
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    private void logIn(String... role) throws Exception {
        List<String> args = new ArrayList<>(List.of("dashboard", "--data", host.dataDir().toString(),
                "--no-browser"));
        args.addAll(List.of(role));
        String link = host.cli(args.toArray(String[]::new)).lines().filter(l -> l.startsWith("http://"))
                .findFirst().orElseThrow(() -> new AssertionError("belfry dashboard printed no link"));
        driver.get(link);
        waitFor(By.id("main"));
        assertThat(driver.getCurrentUrl()).as("the code leaves the address bar").doesNotContain("code=");
    }

    private WebElement waitFor(By what) {
        return new WebDriverWait(driver, PATIENCE).until(d -> {
            List<WebElement> found = d.findElements(what);
            return found.isEmpty() ? null : found.get(0);
        });
    }

    /** Waits for a condition; an element it reads may be replaced meanwhile by a live refresh, and is read again. */
    private void waitUntil(String what, java.util.function.BooleanSupplier condition) {
        new WebDriverWait(driver, PATIENCE).withMessage(what).ignoring(StaleElementReferenceException.class)
                .until(d -> condition.getAsBoolean());
    }

    private void waitLive() {
        waitUntil("the event stream to be open", () -> driver.findElement(By.id("live-status")).getText()
                .contains("live"));
    }

    /** The page as a user meets it: no console error, no serious accessibility violation; saved as a picture. */
    private void check(String page) throws IOException {
        Path shot = browser.screenshot(page);
        assertThat(Files.size(shot)).isPositive();
        assertThat(browser.consoleErrors()).as("console errors on %s", page).isEmpty();
        Results axe = new AxeBuilder().analyze(driver);
        List<String> blocking = axe.getViolations().stream().filter(v -> BLOCKING_IMPACTS.contains(v.getImpact()))
                .map(DashboardBrowserTest::describe).toList();
        assertThat(blocking).as("accessibility violations on %s", page).isEmpty();
    }

    private static String describe(Rule violation) {
        return violation.getId() + " (" + violation.getImpact() + "): " + violation.getHelp() + " at "
                + violation.getNodes().stream().map(n -> String.valueOf(n.getTarget())).limit(3).toList();
    }

    private void confirm() {
        waitFor(By.id("confirm-action")).click();
        waitFor(By.id("main"));
    }

    private String field(String name) {
        return driver.findElement(By.cssSelector("dd[data-field='" + name + "']")).getText();
    }

    @Test
    @Order(1)
    void shouldLetAnOperatorFindAJobTriggerPauseAndResumeItAndSeeItsRunsArriveLive() throws Exception {
        // given: an operator logged in with the link belfry dashboard printed
        logIn();
        assertThat(driver.findElement(By.cssSelector("[data-testid='role']")).getText()).isEqualTo("operator");
        waitLive();
        check("overview");

        // when: they search the jobs for "hello"
        driver.findElement(By.id("nav-jobs")).click();
        waitFor(By.id("jobs-filter"));
        check("jobs");
        WebElement search = driver.findElement(By.id("filter-q"));
        search.clear();
        search.sendKeys("say");
        driver.findElement(By.id("filter-apply")).click();

        // then: only the matching job is listed
        waitUntil("the search to narrow the list", () -> driver.findElements(By.cssSelector("#jobs-table tr[data-job]"))
                .stream().map(r -> r.getAttribute("data-job")).toList().equals(List.of("hello-jobs.say-hello")));

        // when: they open it and trigger it, confirming
        driver.findElement(By.cssSelector("a[data-job-link='hello-jobs.say-hello']")).click();
        waitFor(By.id("job-fields"));
        waitLive();
        int before = driver.findElements(By.cssSelector("#runs li[data-run]")).size();
        check("job");
        driver.findElement(By.id("action-trigger")).click();
        waitFor(By.id("confirm-form"));
        check("confirm");
        confirm();

        // then: the host says it started, and the run shows up
        assertThat(waitFor(By.id("notice")).getText()).contains("Trigger");
        waitUntil("the triggered run in the history", () -> driver.findElements(By.cssSelector("#runs li[data-run]"))
                .size() > before);

        // when: the job is triggered from the command line while the page stays open
        waitLive();
        ((JavascriptExecutor) driver).executeScript("window.belfryTestMarker = 'not reloaded';");
        int seen = driver.findElements(By.cssSelector("#runs li[data-run]")).size();
        assertThat(host.cli("jobs", "trigger", "hello-jobs.say-hello", "--data", host.dataDir().toString()))
                .isNotNull();

        // then: the run appears on the page without a reload
        waitUntil("the run to arrive over the event stream", () -> driver.findElements(
                By.cssSelector("#runs li[data-run]")).size() > seen);
        assertThat(((JavascriptExecutor) driver).executeScript("return window.belfryTestMarker;"))
                .isEqualTo("not reloaded");

        // when: they pause it, then resume it
        driver.findElement(By.id("action-pause")).click();
        confirm();
        waitUntil("the job to show paused", () -> field("status").toLowerCase().contains("paused"));
        driver.findElement(By.id("action-resume")).click();
        confirm();

        // then: it is back to its schedule
        waitUntil("the job to show resumed", () -> !field("status").toLowerCase().contains("paused"));

        // and the other pages render cleanly
        driver.findElement(By.id("nav-plugins")).click();
        waitFor(By.id("plugins-table"));
        check("plugins");
        driver.findElement(By.id("nav-graph")).click();
        waitFor(By.id("graph"));
        assertThat(driver.findElements(By.cssSelector("#graph g[data-plugin]"))).hasSize(2);
        check("graph");
    }

    @Test
    @Order(2)
    void shouldMoveARunningRunsProgressBarWithoutReloadingThePage() throws Exception {
        // given: an operator on the page of the ingest job, whose runs take about 3 s and report progress as they go
        logIn();
        driver.get(host.adminUrl().resolve("/ui/jobs/ingest-demo.ingest").toString());
        waitFor(By.id("job-fields"));
        waitLive();
        ((JavascriptExecutor) driver).executeScript("window.belfryTestMarker = 'not reloaded';");

        // when: a run starts (the job fires every 15 s after the last run ends)
        String[] first = new String[1];
        waitUntil("a running run with its progress bar", () -> {
            first[0] = progress();
            return first[0] != null;
        });

        // then: the same bar (not one drawn again by a refresh) moves, with the page still the one that was loaded
        ((JavascriptExecutor) driver).executeScript("document.querySelector('[data-run] progress').belfrySeen = true;");
        waitUntil("the progress bar of run " + first[0] + " to move", () -> {
            String now = progress();
            return now != null && now.startsWith(first[0].substring(0, first[0].indexOf(' ') + 1))
                    && !now.equals(first[0]) && Boolean.TRUE.equals(((JavascriptExecutor) driver).executeScript(
                    "return document.querySelector('[data-run] progress').belfrySeen === true;"));
        });
        assertThat(((JavascriptExecutor) driver).executeScript("return window.belfryTestMarker;"))
                .isEqualTo("not reloaded");
        assertThat(driver.findElement(By.cssSelector("[data-run] [data-field='message']")).getText())
                .startsWith("record ");
        check("job-running");
    }

    /** @return the running run's id and its bar's value ("7 40"), or null when no run shows */
    private String progress() {
        return (String) ((JavascriptExecutor) driver).executeScript("const bar = document.querySelector("
                + "'[data-run] progress'); return bar ? bar.closest('[data-run]').dataset.run + ' ' + bar.value : null;");
    }

    @Test
    @Order(3)
    void shouldBeReadableOnAPhoneInTheDarkAndUsableFromTheKeyboard() throws Exception {
        // given: an operator on a phone-sized window whose system prefers dark colours
        logIn();
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        driver.executeCdpCommand("Emulation.setEmulatedMedia", java.util.Map.of("features",
                List.of(java.util.Map.of("name", "prefers-color-scheme", "value", "dark"))));

        // when: they open the jobs list
        driver.get(host.adminUrl().resolve("/ui/jobs").toString());
        waitFor(By.id("jobs-table"));

        // then: the page is dark, nothing is wider than the screen, and it passes the same checks
        String background = (String) driver.executeScript(
                "return getComputedStyle(document.body).backgroundColor;");
        assertThat(luminance(background)).as("background %s", background).isLessThan(0.3);
        Long overflow = (Long) driver.executeScript(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
        assertThat(overflow).as("horizontal overflow in px").isLessThanOrEqualTo(0L);
        assertThat((String) driver.executeScript("return getComputedStyle(document.querySelector("
                + "'#jobs-table td[data-field=next]'), '::before').content;")).as("the next fire's label on a phone")
                .contains("Next fire");
        check("jobs-phone-dark");

        // when: they open the graph
        driver.get(host.adminUrl().resolve("/ui/graph").toString());
        waitFor(By.id("graph"));

        // then: its labels are as large as on a laptop (the drawing scrolls sideways), the page no wider than the screen
        Number label = (Number) driver.executeScript(
                "return parseFloat(getComputedStyle(document.querySelector('#graph text')).fontSize)"
                        + " * document.getElementById('graph').getBoundingClientRect().width / 700;");
        assertThat(label.doubleValue()).as("graph label size in px").isGreaterThanOrEqualTo(12.0);
        assertThat((Long) driver.executeScript(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"))
                .as("horizontal overflow of the graph page in px").isLessThanOrEqualTo(0L);
        check("graph-phone-dark");

        // when: they use the keyboard from the top of the page
        driver.get(host.adminUrl().resolve("/ui/").toString());
        waitFor(By.id("main"));
        driver.findElement(By.tagName("body")).sendKeys(org.openqa.selenium.Keys.TAB);

        // then: the first stop is the link that skips to the content, and following it lands there
        WebElement first = driver.switchTo().activeElement();
        assertThat(first.getText()).isEqualTo("Skip to content");
        first.sendKeys(org.openqa.selenium.Keys.ENTER);
        assertThat(driver.getCurrentUrl()).endsWith("#main");
    }

    /** @return the relative luminance, 0 (black) to 1 (white), of a CSS rgb() or rgba() colour */
    private static double luminance(String cssColour) {
        String[] parts = cssColour.replaceAll("[^0-9.,]", "").split(",");
        return (0.2126 * Double.parseDouble(parts[0]) + 0.7152 * Double.parseDouble(parts[1])
                + 0.0722 * Double.parseDouble(parts[2])) / 255;
    }

    @Test
    @Order(4)
    void shouldShowAViewerEverythingAndLetThemDoNothing() throws Exception {
        // given: a viewer logged in with belfry dashboard --viewer
        logIn("--viewer");
        assertThat(driver.findElement(By.cssSelector("[data-testid='role']")).getText()).contains("viewer");

        // when: they open a job
        driver.get(host.adminUrl().resolve("/ui/jobs/hello-jobs.say-hello").toString());
        waitFor(By.id("job-fields"));

        // then: no action is offered, and the page says it is read-only
        assertThat(driver.findElements(By.id("action-trigger"))).isEmpty();
        assertThat(driver.findElement(By.id("read-only")).isDisplayed()).isTrue();
        check("job-viewer");

        // when: the page itself posts a trigger with the session's own CSRF token (a forged button)
        Object status = ((JavascriptExecutor) driver).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "const csrf = document.querySelector('input[name=csrf]').value;"
                        + "fetch('/ui/jobs/hello-jobs.say-hello/trigger', {method: 'POST',"
                        + " headers: {'Content-Type': 'application/x-www-form-urlencoded'},"
                        + " body: 'csrf=' + encodeURIComponent(csrf)}).then(r => done(r.status), e => done(String(e)));");

        // then: the host refuses it
        assertThat(status).isEqualTo(403L);
    }
}
