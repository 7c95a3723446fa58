package dev.certflow.streams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceStatus;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.Chromium;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The dashboard in a real browser (Debian's headless Chromium) against two streams instances on the
 * in-JVM broker fed a known fleet: what a person sees equals what the query API answers, from
 * either instance; search, filters, the timeline, the detail, the renewals, alerts and sources
 * views; keyboard use, contrast and a phone's width; and a clear message, never a blank page, when
 * streams is starting or an instance is down. Screenshots: {@code target/chromium/screenshots}.
 */
class DashboardBrowserIntegrationTest {
    private static final int FLEET = 60;
    private static final String[] TENANTS = {"acme", "bank", "shop"};
    /** Days left of certificate i (i % 6); half a day away from every boundary so nothing moves while the test runs. */
    private static final double[] DAYS = {3.5, 15.5, 45.5, 120.5, 300.5, -2.5};
    private static Chromium browser;
    /** The write token of both instances; the page asks for it (window.prompt) and must keep it to itself. */
    private static final String WRITE = "dashboard-write-" + java.util.UUID.randomUUID();

    @AutoClose
    private final Closeables closeables = new Closeables();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startBrowser() {
        String missing = Chromium.missing();
        assumeThat(missing).as("browser tests skipped: " + missing).isNull();
        browser = Chromium.start(Path.of("target", "chromium"), 1366, 900);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    private JsonNode json(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return AvroJson.MAPPER.readTree(r.body());
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser.driver()).executeScript(script, args);
    }

    /** Waits for what a person would wait for; the page re-renders as it polls, so an element read may be replaced meanwhile. */
    private static org.openqa.selenium.support.ui.FluentWait<WebDriver> waiting() {
        return new WebDriverWait(browser.driver(), Duration.ofSeconds(20), Duration.ofMillis(100))
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    }

    /**
     * Every row of the certificate table satisfies {@code ok}, read again if the page re-renders
     * the table meanwhile (it refreshes itself every few seconds: a row read then is stale).
     */
    private static void everyRow(String what, java.util.function.Predicate<WebElement> ok) {
        waiting().withMessage(what).until(x -> {
            List<WebElement> rows = browser.driver().findElements(By.cssSelector("#cert-table tbody tr[data-key]"));
            return !rows.isEmpty() && rows.stream().allMatch(ok);
        });
    }

    private static String text(String css) {
        return browser.driver().findElement(By.cssSelector(css)).getText();
    }

    /** Clicks what the selector finds, again if the page re-rendered it meanwhile. */
    private static void click(String css) {
        waiting().until(x -> {
            x.findElement(By.cssSelector(css)).click();
            return true;
        });
    }

    private static long number(String css) {
        return Long.parseLong(text(css).replaceAll("[^0-9]", ""));
    }

    private record Instance(StreamsApp app, OpsServer ops) {
        String url() {
            return ops.url();
        }
    }

    private Instance instance(KafkaSettings kafka, String appId, Path stateDir) throws Exception {
        StreamsSettings s = TwoInstancesQueryIntegrationTest.settings(appId, stateDir).withOwners(FleetIndexTest.owners());
        s.api.writeToken = dev.certflow.runtime.config.Secret.of(WRITE);
        OpsServer ops = OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry());
        closeables.add(() -> {
            try {
                ops.close();
            } catch (RuntimeException alreadyClosed) {
                // the test closed it to take the instance down
            }
        });
        StreamsApp app = closeables.add(StreamsApp.start(kafka, s, ops.registry(), ops));
        return new Instance(app, ops);
    }

    private static Certificate certificate(int i, Instant now) {
        String tenant = TENANTS[i % 3];
        Instant notAfter = i == FLEET - 1 ? null : now.plus(Duration.ofMinutes((long) (DAYS[i % 6] * 1440)));
        String domain = "c" + i + "." + tenant + ".example.com";
        return switch (i % 3) {
            case 0 -> RenewalFixtures.smoxyAuto(tenant, "s" + i, domain,
                    i == 0 ? List.of(domain, "pay-portal.acme.example.com") : List.of(domain, "www." + domain), notAfter, now);
            case 1 -> RenewalFixtures.yeastarUpload("pbx-" + tenant, "y" + i, domain, notAfter, now);
            default -> RenewalFixtures.leegality(tenant, "l" + i, "Signing key " + i, now.minus(Duration.ofDays(30)), notAfter, now);
        };
    }

    @Test
    void whatAPersonSeesIsWhatTheQueryApiAnswersFromEitherInstance(@TempDir Path dir) throws Exception {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs = new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        root.addAppender(logs);
        closeables.add(() -> root.detachAppender(logs));
        KafkaSettings kafka = TestKafka.freshSettings("dash");
        kafka.partitions = 4; // two tasks per instance: answers merge partitions as well as instances
        new TopicManager(kafka).ensure(Topics.ALL);
        Topics topics = kafka.topics();
        Instant now = Instant.now();
        List<ProducerRecord<String, Certificate>> certs = new ArrayList<>();
        List<ProducerRecord<String, RenewalAttempt>> attempts = new ArrayList<>();
        for (int i = 0; i < FLEET; i++) {
            Certificate c = certificate(i, now);
            certs.add(new ProducerRecord<>(topics.certificates().name(), RenewalFixtures.k(c), c));
            if (i % 10 == 0) {
                attempts.add(new ProducerRecord<>(topics.renewalAttempts().name(), RenewalFixtures.k(c),
                        Fixtures.attempt(c.getKey(), "f" + i, AttemptStatus.FAILED, now.minusSeconds(600), "rate limited by the CA")));
            }
        }
        KafkaIo.produce(kafka, topics.certificates().name(), Serdes.String().serializer(), topics.certificates().valueSerde().serializer(), certs);
        KafkaIo.produce(kafka, topics.renewalAttempts().name(), Serdes.String().serializer(), topics.renewalAttempts().valueSerde().serializer(), attempts);
        List<ProducerRecord<String, SourceStatus>> polls = new ArrayList<>();
        polls.add(new ProducerRecord<>(topics.sourceStatus().name(), "pbx-acme", Fixtures.poll("pbx-acme", now.minusSeconds(30), PollOutcome.SUCCESS)));
        for (int i = 3; i >= 1; i--) {
            polls.add(new ProducerRecord<>(topics.sourceStatus().name(), "pbx-bank", Fixtures.poll("pbx-bank", now.minusSeconds(60L * i), PollOutcome.FAILED)));
        }
        KafkaIo.produce(kafka, topics.sourceStatus().name(), Serdes.String().serializer(), topics.sourceStatus().valueSerde().serializer(), polls);

        String appId = TestKafka.uniqueId("dash-app");
        Instance a = instance(kafka, appId, dir.resolve("a"));
        Instance b = instance(kafka, appId, dir.resolve("b"));
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(a.app().state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(b.app().state()).isEqualTo(KafkaStreams.State.RUNNING);
            JsonNode s = json(a.url() + "/v1/summary");
            assertThat(s.path("counts").path("total").asInt()).isEqualTo(FLEET);
            assertThat(s.path("counts").path("renewal-failing").asInt()).isEqualTo(6);
            assertThat(json(a.url() + "/v1/sources").path("count").asInt()).isEqualTo(2);
            assertThat(json(b.url() + "/v1/summary").path("counts")).isEqualTo(s.path("counts"));
        });
        // both instances hold partitions: the answers below are cross-instance
        assertThat(json(a.url() + "/v1/summary?local=true").path("counts").path("total").asInt()).isBetween(1, FLEET - 1);

        WebDriver d = browser.driver();
        d.manage().window().setSize(new Dimension(1366, 900));
        d.get(a.url() + "/");
        // the overview: every count as the query API of the other instance gives it
        JsonNode summary = json(b.url() + "/v1/summary");
        waiting().until(x -> !text("[data-count=total]").isBlank() && !text("[data-count=total]").equals("–"));
        assertThat(number("[data-count=total]")).isEqualTo(FLEET);
        for (String state : List.of("healthy", "renewal-due", "renewal-overdue", "renewal-failing", "expiring", "expired", "expiry-unknown")) {
            assertThat(number("[data-count=" + state + "]")).as(state).isEqualTo(summary.path("counts").path(state).asLong());
        }
        assertThat(number("[data-count=expired]")).isEqualTo(9);        // i % 6 == 5, but the last has no expiry
        assertThat(number("[data-count=expiry-unknown]")).isEqualTo(1);  // the last one
        assertThat(number("[data-count=alerts]")).isEqualTo(summary.path("firingAlerts").asLong()).isPositive();
        assertThat(text("#status")).contains("Answered by " + a.url().replace("http://", "").replace("127.0.0.1", "localhost"));
        // owners (payments: tenant acme; platform: names under bank.example.com; shop's are unowned)
        assertThat(number("[data-count=unowned]")).isEqualTo(summary.path("counts").path("unowned").asLong()).isEqualTo(20);
        assertContrast();
        browser.screenshot("overview");

        // a count is a link to the filtered table
        d.findElement(By.cssSelector("a[data-state=renewal-failing]")).click();
        waiting().until(x -> d.findElements(By.cssSelector("#cert-table tbody tr[data-key]")).size() == 6);
        assertThat(text("#cert-count")).contains("of 6");
        everyRow("renewal-failing rows", tr -> tr.getText().contains("renewal-failing"));

        // search by a SAN
        d.get(a.url() + "/#certificates");
        WebElement search = d.findElement(By.id("f-q"));
        search.sendKeys("pay-portal.acme.example.com");
        waiting().until(x -> d.findElements(By.cssSelector("#cert-table tbody tr[data-key]")).size() == 1);
        assertThat(text("#cert-table tbody tr[data-key]")).contains("c0.acme.example.com").contains("pay-portal.acme.example.com");
        browser.screenshot("search");

        // a filter narrows the table (by tenant: owners do not exist yet), to what the API counts for it
        d.findElement(By.cssSelector("button[type=reset]")).click();
        waiting().until(x -> d.findElements(By.cssSelector("#cert-table tbody tr[data-key]")).size() == 50);
        assertThat(text("#cert-count")).contains("of 60");
        // the PBXs' tenant is the PBX itself: pbx-bank holds the Yeastar certificates of i % 3 == 1
        new org.openqa.selenium.support.ui.Select(d.findElement(By.id("f-tenant"))).selectByValue("pbx-bank");
        long bank = json(a.url() + "/v1/summary?tenant=pbx-bank").path("counts").path("total").asLong();
        waiting().until(x -> d.findElements(By.cssSelector("#cert-table tbody tr[data-key]")).size() == bank);
        assertThat(bank).isEqualTo(20);
        everyRow("pbx-bank rows", tr -> tr.getAttribute("data-key").startsWith("yeastar/pbx-bank/pbx-bank/"));
        // sorted by name, descending, from the column header
        d.findElement(By.cssSelector("button[data-sort=name]")).click();
        d.findElement(By.cssSelector("button[data-sort=name]")).click();
        waiting().until(x -> "descending".equals(d.findElement(By.cssSelector("button[data-sort=name]")).findElement(By.xpath("..")).getAttribute("aria-sort")));
        List<String> names = new ArrayList<>();
        waiting().until(x -> {
            names.clear();
            d.findElements(By.cssSelector("#cert-table tbody tr[data-key] button.name")).forEach(e -> names.add(e.getText().toLowerCase()));
            return names.size() == bank && names.equals(names.stream().sorted(java.util.Comparator.reverseOrder()).toList());
        });

        // a filter by owner narrows the table to exactly what the query API counts for that owner
        d.get(a.url() + "/#certificates");
        waiting().until(x -> d.findElements(By.cssSelector("#f-owner option[value=payments]")).size() == 1);
        assertThat(d.findElement(By.cssSelector("th[data-feature=owners]")).isDisplayed()).isTrue();
        new org.openqa.selenium.support.ui.Select(d.findElement(By.id("f-owner"))).selectByValue("payments");
        long payments = json(b.url() + "/v1/certificates?owner=payments&size=500").path("count").asLong();
        assertThat(payments).isEqualTo(20);
        waiting().until(x -> d.findElements(By.cssSelector("#cert-table tbody tr[data-key]")).size() == payments
                && text("#cert-count").contains("of " + payments));
        everyRow("payments rows", tr -> tr.getAttribute("data-key").contains("/acme/") && tr.getText().contains("payments"));
        browser.screenshot("owner-filter");
        // the overview's unowned count opens the unowned
        d.get(a.url() + "/");
        waiting().until(x -> !d.findElements(By.cssSelector("a[data-state=unowned]")).isEmpty());
        d.findElement(By.cssSelector("a[data-state=unowned]")).click();
        long unowned = summary.path("counts").path("unowned").asLong();
        waiting().until(x -> d.findElements(By.cssSelector("#cert-table tbody tr[data-key]")).size() == unowned);
        everyRow("unowned rows", tr -> tr.getText().contains("unowned"));

        // paging: 60 certificates, 50 a page
        d.get(a.url() + "/#certificates");
        waiting().until(x -> d.findElements(By.cssSelector("#cert-table tbody tr[data-key]")).size() == 50);
        d.findElement(By.id("cert-next")).click();
        waiting().until(x -> d.findElements(By.cssSelector("#cert-table tbody tr[data-key]")).size() == 10);
        assertThat(text("#cert-count")).contains("51–60 of 60");
        assertThat(text("#cert-table tbody tr[data-key]:last-child")).contains("Signing key 59").contains("expiry-unknown"); // no known expiry: last

        // a row opens its detail, with its history
        d.get(a.url() + "/#certificates?state=renewal-failing");
        waiting().until(x -> d.findElements(By.cssSelector("#cert-table tbody tr[data-key]")).size() == 6);
        d.findElement(By.cssSelector("#cert-table tbody tr[data-key] button.name")).click();
        waiting().until(x -> d.findElement(By.id("detail")).isDisplayed() && !d.findElements(By.cssSelector("#history-table tbody tr")).isEmpty());
        assertThat(text("#history-table")).contains("FAILED").contains("rate limited by the CA");
        browser.screenshot("detail");
        d.findElement(By.cssSelector("#detail .dialog-close button")).click();

        // the timeline: one year; its bars and the counts around them sum to the fleet
        d.get(a.url() + "/#timeline");
        d.findElement(By.cssSelector("input[name=range][value='365']")).click();
        waiting().until(x -> "365".equals(js("return String(Math.round((Date.parse(window.certflow.timeline.to) - Date.parse(window.certflow.timeline.from)) / 86400000))")));
        long bars = ((Number) js("return window.certflow.chart.data.datasets.reduce((s, ds) => s + ds.data.reduce((a, b) => a + b, 0), 0)")).longValue();
        WebElement caption = d.findElement(By.id("timeline-caption"));
        long before = Long.parseLong(caption.getAttribute("data-before"));
        long after = Long.parseLong(caption.getAttribute("data-after"));
        long unknown = Long.parseLong(caption.getAttribute("data-unknown"));
        assertThat(bars).isEqualTo(FLEET - 9 - 1); // all but the expired and the unknown fall within the year
        assertThat(bars + before + after + unknown).isEqualTo(FLEET);
        JsonNode timeline = json(b.url() + "/v1/timeline?days=365&by=tenant");
        long apiBins = 0;
        for (JsonNode bin : timeline.path("bins")) {
            apiBins += bin.path("total").asLong();
        }
        assertThat(bars).isEqualTo(apiBins);
        // hovering a bar lists its certificates
        @SuppressWarnings("unchecked")
        Map<String, Object> bar = (Map<String, Object>) js("const c = window.certflow.chart;"
                + "for (let d = 0; d < c.data.datasets.length; d++) { const v = c.data.datasets[d].data;"
                + "  for (let i = 0; i < v.length; i++) if (v[i] > 0) { const e = c.getDatasetMeta(d).data[i]; const r = c.canvas.getBoundingClientRect();"
                + "    return {x: e.x - r.width / 2, y: (e.y + e.base) / 2 - r.height / 2, n: v[i], name: c.data.datasets[d].label}; } }");
        WebElement canvas = d.findElement(By.id("timeline-chart"));
        new Actions(d).moveToElement(canvas, ((Number) bar.get("x")).intValue(), ((Number) bar.get("y")).intValue()).perform();
        long n = ((Number) bar.get("n")).longValue();
        waiting().until(x -> d.findElements(By.cssSelector("#bar-detail li")).size() == Math.min(n, 20));
        assertThat(text("#bar-detail h3")).contains("tenant " + bar.get("name")).contains(n + " certificate");
        browser.screenshot("timeline");
        // the keyboard reaches the bars too
        canvas.sendKeys(Keys.ARROW_RIGHT);
        waiting().until(x -> !d.findElements(By.cssSelector("#bar-detail ul[data-bar]")).isEmpty());

        // renewals, alerts, sources
        d.get(a.url() + "/#renewals");
        waiting().until(x -> d.findElements(By.cssSelector("#failing-table tbody tr")).size() == 6);
        assertThat(text("#failing-table")).contains("E_rate limited by the CA");
        long overdue = summary.path("counts").path("renewal-overdue").asLong();
        waiting().until(x -> d.findElements(By.cssSelector("#overdue-table tbody tr")).size() == overdue);
        d.get(a.url() + "/#alerts");
        JsonNode alerts = json(b.url() + "/v1/alerts?size=500");
        waiting().until(x -> d.findElements(By.cssSelector("#alert-table tbody tr")).size() == Math.min(100, alerts.path("items").size()));
        assertThat(text("#alert-table")).contains("SOURCE_DOWN").contains("EXPIRED");

        // acknowledge from the page: it asks for the token, then a name; the row and the API (of the other instance) show it
        String acked = waiting().until(x -> d.findElement(By.cssSelector("#alert-table tr[data-alert] button[data-action=ack]"))
                .findElement(By.xpath("ancestor::tr")).getAttribute("data-alert"));
        click("#alert-table tr[data-alert='" + acked + "'] button[data-action=ack]");
        org.openqa.selenium.Alert prompt = waiting().until(org.openqa.selenium.support.ui.ExpectedConditions.alertIsPresent());
        assertThat(prompt.getText()).contains("write token");
        prompt.sendKeys(WRITE);
        prompt.accept();
        org.openqa.selenium.Alert name = waiting().until(org.openqa.selenium.support.ui.ExpectedConditions.alertIsPresent());
        name.sendKeys("alice");
        name.accept();
        waiting().until(x -> text("#alert-table tr[data-alert='" + acked + "']").contains("acknowledged by alice"));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode mine = null;
            for (JsonNode item : json(b.url() + "/v1/alerts?size=500").path("items")) {
                mine = item.path("alertId").asText().equals(acked) ? item : mine;
            }
            assertThat(mine).isNotNull();
            assertThat(mine.path("acknowledgedBy").asText()).isEqualTo("alice");
        });
        browser.screenshot("alerts-acknowledged");
        // silence another certificate alert from the page: the token is still in the page's memory, no second prompt
        String silenced = waiting().until(x -> d.findElements(By.cssSelector("#alert-table tr[data-alert]")).stream()
                .filter(tr -> !tr.getText().contains("SOURCE_DOWN") && !acked.equals(tr.getAttribute("data-alert")))
                .map(tr -> tr.getAttribute("data-alert")).findFirst().orElse(null));
        String silencedKey = null;
        for (JsonNode item : json(a.url() + "/v1/alerts?size=500").path("items")) {
            silencedKey = item.path("alertId").asText().equals(silenced) ? item.path("certificateKey").asText() : silencedKey;
        }
        assertThat(silencedKey).isNotNull();
        click("#alert-table tr[data-alert='" + silenced + "'] button[data-action=silence]");
        String key = silencedKey;
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode silences = json(b.url() + "/v1/silences").path("items");
            assertThat(silences.size()).isEqualTo(1);
            assertThat(silences.get(0).path("matchers").get(0).path("name").asText()).isEqualTo("certificate_key");
            assertThat(silences.get(0).path("matchers").get(0).path("value").asText()).isEqualTo(key);
            assertThat(silences.get(0).path("createdBy").asText()).isEqualTo("alice");
            assertThat(silences.get(0).path("state").asText()).isEqualTo("active");
        });
        // the token: not in the URL, the page's storage or cookies, nor in any log line
        assertThat(d.getCurrentUrl()).doesNotContain(WRITE);
        assertThat((String) js("return JSON.stringify(Object.assign({}, localStorage)) + JSON.stringify(Object.assign({}, sessionStorage)) + document.cookie"))
                .doesNotContain(WRITE);
        assertThat(logs.list).isNotEmpty().allSatisfy(e -> assertThat(e.getFormattedMessage()).doesNotContain(WRITE));
        d.get(a.url() + "/#sources");
        waiting().until(x -> d.findElements(By.cssSelector("#source-table tbody tr[data-source]")).size() == 2);
        assertThat(text("#source-table tr[data-source=pbx-bank]")).contains("FAILED").contains("SOURCE_DOWN").contains("timeout");

        // keyboard: the views are reachable by Tab and Enter from the top
        d.get(a.url() + "/");
        waiting().until(x -> !text("[data-count=total]").equals("–") && !text("[data-count=total]").isBlank());
        for (int i = 0; i < 4; i++) { // the skip link, then Overview, Timeline, Certificates
            new Actions(d).sendKeys(Keys.TAB).perform();
        }
        assertThat(d.switchTo().activeElement().getText()).isEqualTo("Certificates");
        d.switchTo().activeElement().sendKeys(Keys.ENTER);
        waiting().until(x -> d.findElement(By.id("view-certificates")).isDisplayed());

        // a phone's width: nothing wider than the screen but the scrollable table
        d.manage().window().setSize(new Dimension(390, 844));
        d.get(a.url() + "/");
        waiting().until(x -> !text("[data-count=total]").equals("–") && !text("[data-count=total]").isBlank());
        assertThat(((Number) js("return document.documentElement.scrollWidth - window.innerWidth")).intValue()).isLessThanOrEqualTo(0);
        browser.screenshot("phone-overview");
        d.manage().window().setSize(new Dimension(1366, 900));

        // an instance down: the other's answers would be incomplete; the page says so and keeps what it showed
        d.get(a.url() + "/");
        waiting().until(x -> number("[data-count=total]") == FLEET);
        b.ops().close();
        js("window.certflow.refresh()");
        waiting().until(x -> d.findElement(By.id("banner")).isDisplayed());
        assertThat(text("#banner")).contains("incomplete").contains(b.url().replace("http://", "").replace("127.0.0.1", "localhost"));
        assertThat(number("[data-count=total]")).isEqualTo(FLEET);
        browser.screenshot("peer-down");
        // and the instance that served the page itself down
        a.ops().close();
        js("window.certflow.refresh()");
        waiting().until(x -> text("#banner").contains("is not answering"));
        browser.screenshot("instance-down");
    }

    @Test
    void whileStreamsIsStartingThePageSaysSoInsteadOfShowingNothing(@TempDir Path stateDir) throws Exception {
        KafkaStreams streams = closeables.add(QueryApiTest.notStarted(stateDir));
        StreamsSettings settings = new StreamsSettings();
        OpsServer ops = closeables.add(OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry()));
        StreamsApp.mountQueryApi(ops, new QueryService(streams, new HostInfo("localhost", 1), Time.SYSTEM,
                new RenewalPolicy(settings.renewal)), settings);

        WebDriver d = browser.driver();
        d.get(ops.url() + "/");
        waiting().until(x -> d.findElement(By.id("banner")).isDisplayed());
        assertThat(text("#banner")).contains("certflow is starting").contains("CREATED");
        assertThat(text("#cards")).contains("Waiting for certflow");
        assertThat(d.findElement(By.id("banner")).getAttribute("data-problem")).isEqualTo("starting");
        browser.screenshot("starting");
    }

    /** Every visible text in the page meets WCAG AA contrast (4.5:1; 3:1 for large text) against its background. */
    private static void assertContrast() {
        @SuppressWarnings("unchecked")
        List<String> failures = (List<String>) js("""
                const lum = c => { const m = c.match(/[\\d.]+/g).map(Number); const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                  return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]); };
                const bg = e => { for (; e; e = e.parentElement) { const b = getComputedStyle(e).backgroundColor; const m = b.match(/[\\d.]+/g);
                  if (m && (m.length < 4 || Number(m[3]) > 0.5)) return b; } return 'rgb(255,255,255)'; };
                const out = [];
                document.querySelectorAll('body *').forEach(e => {
                  if (!e.offsetParent && e.tagName !== 'BODY') return;
                  const own = Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
                  if (!own) return;
                  const s = getComputedStyle(e); const a = lum(s.color), b = lum(bg(e));
                  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
                  const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
                  if (ratio < (large ? 3 : 4.5)) out.push(e.tagName + ' "' + e.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
                });
                return out;""");
        assertThat(failures).isEmpty();
    }
}
