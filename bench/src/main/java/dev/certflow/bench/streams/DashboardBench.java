package dev.certflow.bench.streams;

import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceKind;
import dev.certflow.events.SourceStatus;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.streams.Names;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.Topics;
import dev.certflow.streams.StreamsApp;
import dev.certflow.streams.StreamsSettings;
import dev.certflow.testkit.Chromium;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The dashboard with N certificates (default 1,000,000) in the stores, timed by the browser itself.
 *
 * <p>Runs the real streams application (exactly-once, RocksDB stores, changelogs) on the in-JVM
 * broker, feeds it N certificates (every record through the processors, the name index and the
 * dashboard aggregates), and drives Debian's headless Chromium against its query API port:
 * first paint (Navigation Timing: first-contentful-paint, and the mark the page sets once the
 * overview shows the fleet's counts), then the time from a request to its rendered result for
 * pages, filters, sorts, searches, the timeline and a bar's list (the page's own
 * {@code performance.now()} around fetch and render, read back through WebDriver). The baseline in
 * the same run is one full scan of the certificate store, what an answer without the aggregates
 * would cost at least.
 *
 * <p>{@code bench/run DashboardBench [certificates] [rounds]}; {@code BENCH_JAVA_OPTS="-Xmx6g -Dbench.serve=true"}
 * keeps serving afterwards (it prints the URL) until stopped.
 */
public final class DashboardBench {
    public static void main(String[] args) throws Exception {
        int total = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String missing = Chromium.missing();
        if (missing != null && !Boolean.getBoolean("bench.serve")) {
            throw new IllegalStateException(missing);
        }
        Path dir = Files.createTempDirectory("certflow-dashboard-bench");
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            KafkaSettings kafka = new KafkaSettings();
            kafka.bootstrapServers = broker.bootstrapServers();
            kafka.schemaRegistryUrl = "mock://dashboard-bench";
            kafka.topicPrefix = "dash.";
            kafka.partitions = 2;
            new TopicManager(kafka).ensure(Topics.ALL);
            Topics topics = kafka.topics();
            long t0 = System.nanoTime();
            produce(kafka, topics, total, start);
            System.out.printf("produced %,d certificates in %.0f s%n", total, (System.nanoTime() - t0) / 1e9);
            StreamsSettings s = new StreamsSettings();
            s.applicationId = "dashboard-bench-" + UUID.randomUUID().toString().substring(0, 8);
            s.stateDir = dir.toString();
            s.commitInterval = Duration.ofSeconds(1);
            s.withOwners(owners());
            try (OpsServer ops = OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry());
                 StreamsApp app = StreamsApp.start(kafka, s, ops.registry(), ops)) {
                long t1 = System.nanoTime();
                ExpiryTickBench.awaitCaughtUp(kafka, s.applicationId, topics.certificates().name(), Duration.ofMinutes(60), app);
                ExpiryTickBench.awaitCaughtUp(kafka, s.applicationId, topics.renewalAttempts().name(), Duration.ofMinutes(10), app);
                double seedS = (System.nanoTime() - t1) / 1e9;
                System.out.printf("streams took in %,d certificates in %.0f s (%.0f/s), stores under %s%n", total, seedS, total / seedS, dir);
                String url = ops.url() + "/";
                HttpClient http = HttpClient.newHttpClient();
                String summary = http.send(HttpRequest.newBuilder(URI.create(ops.url() + "/v1/summary")).build(), HttpResponse.BodyHandlers.ofString()).body();
                if (!summary.contains("\"total\":" + total + ",")) {
                    throw new IllegalStateException("the summary does not count " + total + " certificates: " + summary);
                }
                System.out.println("dashboard at " + url + "  " + summary.substring(0, Math.min(summary.length(), 300)));
                // the baseline: one full read of the certificate store
                ReadOnlyKeyValueStore<String, Certificate> store = app.streams().store(
                        StoreQueryParameters.fromNameAndType(Names.CERTIFICATE_STORE, QueryableStoreTypes.keyValueStore()));
                List<Double> scans = new ArrayList<>();
                for (int r = 0; r < 3; r++) {
                    long ss = System.nanoTime();
                    long n = 0;
                    try (var it = store.all()) {
                        while (it.hasNext()) {
                            it.next();
                            n++;
                        }
                    }
                    scans.add((System.nanoTime() - ss) / 1e6);
                    if (n != total) {
                        throw new IllegalStateException("the store holds " + n + " certificates, not " + total);
                    }
                }
                System.out.printf("baseline: full scan of the certificate store %.0f ms (median of 3)%n", median(scans));
                if (missing == null && !Boolean.getBoolean("bench.serve")) {
                    measure(url, rounds);
                }
                if (Boolean.getBoolean("bench.serve")) {
                    System.out.println("serving " + url + " until stopped (Ctrl-C)");
                    Thread.currentThread().join();
                }
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void produce(KafkaSettings kafka, Topics topics, int total, Instant start) {
        Map<String, Object> props = kafka.producer("dashboard-bench");
        props.put("batch.size", 262144);
        props.put("linger.ms", 20);
        try (KafkaProducer<String, Certificate> p = new KafkaProducer<>(props, new StringSerializer(), topics.certificates().valueSerde().serializer());
             KafkaProducer<String, RenewalAttempt> a = new KafkaProducer<>(props, new StringSerializer(), topics.renewalAttempts().valueSerde().serializer());
             KafkaProducer<String, SourceStatus> polls = new KafkaProducer<>(props, new StringSerializer(), topics.sourceStatus().valueSerde().serializer())) {
            for (int i = 0; i < total; i++) {
                Certificate c = certificate(i, start);
                String key = CertificateKeys.format(c.getKey());
                p.send(new ProducerRecord<>(topics.certificates().name(), key, c));
                if (i % 50 == 7) {
                    a.send(new ProducerRecord<>(topics.renewalAttempts().name(), key, RenewalAttempt.newBuilder().setAttemptId("a" + i)
                            .setCertificateKey(c.getKey()).setAttemptType("acme_renew").setStatus(AttemptStatus.FAILED)
                            .setStartedAt(start.minusSeconds(900)).setFinishedAt(start.minusSeconds(880)).setErrorCode("rateLimited")
                            .setErrorMessage("too many certificates for this domain").setObservedAt(start).build()));
                }
            }
            for (int s = 0; s < 10; s++) {
                polls.send(new ProducerRecord<>(topics.sourceStatus().name(), "src-" + s, SourceStatus.newBuilder().setSourceKind(kind(s))
                        .setSourceName("src-" + s).setPollStartedAt(start.minusSeconds(60)).setPollFinishedAt(start.minusSeconds(55))
                        .setOutcome(s == 3 ? PollOutcome.FAILED : PollOutcome.SUCCESS).setCertificatesSeen(total / 10)
                        .setErrorKind(s == 3 ? "timeout" : null).build()));
            }
        }
    }

    /** Eight teams of ten tenants each (team-k: tenant-10k to tenant-10k+9); tenants 80 to 99, a fifth of the fleet, unowned. */
    static dev.certflow.runtime.owners.OwnersConfig owners() {
        dev.certflow.runtime.owners.OwnersConfig o = new dev.certflow.runtime.owners.OwnersConfig();
        for (int k = 0; k < 8; k++) {
            dev.certflow.runtime.owners.OwnersConfig.Team t = new dev.certflow.runtime.owners.OwnersConfig.Team();
            t.name = "team-" + k;
            o.teams.add(t);
            dev.certflow.runtime.owners.OwnersConfig.Rule r = new dev.certflow.runtime.owners.OwnersConfig.Rule();
            r.owner = t.name;
            for (int i = 0; i < 10; i++) {
                r.tenants.add("tenant-" + (10 * k + i));
            }
            o.rules.add(r);
        }
        return o;
    }

    private static SourceKind kind(int source) {
        return source % 3 == 0 ? SourceKind.SMOXY : source % 3 == 1 ? SourceKind.YEASTAR : SourceKind.LEEGALITY;
    }

    /** A fleet like a large estate: 100 tenants, 10 sources, expiries over 13 months, renewed by hand or by ACME, some without an expiry. */
    static Certificate certificate(int i, Instant now) {
        int source = i % 10;
        CertificateKey key = CertificateKeys.of(kind(source), "src-" + source, "tenant-" + (i % 100), "c" + i);
        String domain = "c" + i + ".tenant-" + (i % 100) + ".example.com";
        boolean unknown = i % 997 == 0;
        Instant notAfter = unknown ? null : now.plus(Duration.ofMinutes((long) ((i * 7919L) % (400 * 1440)) - 10 * 1440));
        boolean acme = source % 3 == 0;
        return Certificate.newBuilder().setKey(key).setName(acme ? domain : "cert-" + i).setCommonName(domain)
                .setSans(List.of(domain, "www." + domain)).setType(CertificateType.TLS_SERVER)
                .setIssuanceMethod(acme ? IssuanceMethod.ACME : IssuanceMethod.UPLOADED).setSourceType(acme ? "auto_managed" : "upload")
                .setNotAfter(notAfter).setExpiryStatus(unknown ? ExpiryStatus.UNPARSEABLE : ExpiryStatus.KNOWN)
                .setNotBefore(notAfter == null ? null : notAfter.minus(Duration.ofDays(acme ? 90 : 398)))
                .setObservedAt(now).build();
    }

    private static void measure(String url, int rounds) {
        try (Chromium browser = Chromium.start(Path.of("target", "chromium"), 1366, 900)) {
            var d = browser.driver();
            JavascriptExecutor js = d;
            var wait = new WebDriverWait(d, Duration.ofSeconds(60), Duration.ofMillis(20)).ignoring(org.openqa.selenium.StaleElementReferenceException.class);
            List<Double> fcp = new ArrayList<>();
            List<Double> firstData = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                d.get("about:blank");
                d.get(url);
                wait.until(x -> js.executeScript("return performance.getEntriesByName('certflow-first-data').length") instanceof Number n && n.intValue() > 0);
                @SuppressWarnings("unchecked")
                Map<String, Object> t = (Map<String, Object>) js.executeScript(
                        "const p = performance.getEntriesByName('first-contentful-paint')[0];"
                                + "return {fcp: p ? p.startTime : -1, data: performance.getEntriesByName('certflow-first-data')[0].startTime};");
                fcp.add(((Number) t.get("fcp")).doubleValue());
                firstData.add(((Number) t.get("data")).doubleValue());
            }
            browser.screenshot("bench-overview");
            System.out.printf("first paint (first-contentful-paint) median %.0f ms, max %.0f ms; overview with the fleet's counts median %.0f ms, max %.0f ms (of %d loads, from navigation start)%n",
                    median(fcp), Collections.max(fcp), median(firstData), Collections.max(firstData), rounds);

            // every action in order, the whole sequence once per round: the median of the rounds, and the slowest
            Map<String, List<Double>> byAction = new java.util.LinkedHashMap<>();
            for (int r = 0; r < rounds; r++) {
                Map<String, Double> round = new java.util.LinkedHashMap<>();
                actions(d, js, wait, url, round, browser, r == 0);
                round.forEach((what, ms) -> byAction.computeIfAbsent(what, k -> new ArrayList<>()).add(ms));
            }
            System.out.printf("  %-40s %9s %9s  (of %d rounds)%n", "action", "median", "max", rounds);
            long under = 0;
            for (Map.Entry<String, List<Double>> e : byAction.entrySet()) {
                double med = median(e.getValue());
                under += med < 300 ? 1 : 0;
                System.out.printf("  %-40s %6.0f ms %6.0f ms%n", e.getKey(), med, Collections.max(e.getValue()));
            }
            System.out.printf("%d of %d actions under 300 ms (median)%n", under, byAction.size());
        }
    }

    /** The page's actions in order, each timed by the page itself. */
    private static void actions(org.openqa.selenium.WebDriver d, JavascriptExecutor js, org.openqa.selenium.support.ui.FluentWait<org.openqa.selenium.WebDriver> wait,
                                String url, Map<String, Double> round, Chromium browser, boolean screenshots) {
        // a fresh page each round: no choice of the last round (timeline range, filters) carries over
        d.get("about:blank");
        d.get(url);
        wait.until(x -> js.executeScript("return performance.getEntriesByName('certflow-first-data').length") instanceof Number n && n.intValue() > 0);
        timed(round, js, wait, "table, first page", () -> d.get(url + "#certificates"), "certificates");
        wait.until(x -> !d.findElements(By.cssSelector("#f-tenant option[value='tenant-42']")).isEmpty());
        for (int p = 2; p <= 4; p++) {
            timed(round, js, wait, "table, next page " + p, () -> d.findElement(By.id("cert-next")).click(), "certificates");
        }
        timed(round, js, wait, "filter: state renewal-overdue", () -> new Select(d.findElement(By.id("f-state"))).selectByValue("renewal-overdue"), "certificates");
        timed(round, js, wait, "filter: + tenant tenant-42", () -> new Select(d.findElement(By.id("f-tenant"))).selectByValue("tenant-42"), "certificates");
        timed(round, js, wait, "sort by name (overdue, tenant-42)", () -> d.findElement(By.cssSelector("button[data-sort=name]")).click(), "certificates");
        timed(round, js, wait, "filter: source src-3 alone", () -> d.get(url + "#certificates?source=src-3"), "certificates");
        timed(round, js, wait, "sort by name, whole fleet", () -> d.get(url + "#certificates?sort=name"), "certificates");
        timed(round, js, wait, "sort by name, next page", () -> d.findElement(By.id("cert-next")).click(), "certificates");
        timed(round, js, wait, "expiry descending", () -> d.get(url + "#certificates?order=desc"), "certificates");
        timed(round, js, wait, "search: a SAN", () -> d.get(url + "#certificates?q=www.c123457.tenant-57.example.com"), "certificates");
        timed(round, js, wait, "search: a domain (10,000 certificates)", () -> d.get(url + "#certificates?q=tenant-57.example.com"), "certificates");
        timed(round, js, wait, "search: a name prefix", () -> d.get(url + "#certificates?q=c12345"), "certificates");
        timed(round, js, wait, "filter: owner team-3", () -> d.get(url + "#certificates?owner=team-3"), "certificates");
        timed(round, js, wait, "filter: owner team-3, next page", () -> d.findElement(By.id("cert-next")).click(), "certificates");
        timed(round, js, wait, "filter: unowned", () -> d.get(url + "#certificates?owner=-"), "certificates");
        timed(round, js, wait, "filter: owner team-3 + renewal-overdue", () -> d.get(url + "#certificates?owner=team-3&state=renewal-overdue"), "certificates");
        timed(round, js, wait, "sort by owner, whole fleet", () -> d.get(url + "#certificates?sort=owner"), "certificates");
        timed(round, js, wait, "sort by owner, descending", () -> d.get(url + "#certificates?sort=owner&order=desc"), "certificates");
        timed(round, js, wait, "renewal SCHEDULED + kind smoxy", () -> d.get(url + "#certificates?renewal=SCHEDULED&kind=smoxy"), "certificates");
        timed(round, js, wait, "timeline, 90 days by tenant", () -> d.get(url + "#timeline"), "timeline");
        timed(round, js, wait, "timeline, one year by source", () -> {
            d.findElement(By.cssSelector("input[name=range][value='365']")).click();
            new Select(d.findElement(By.id("timeline-by"))).selectByValue("source");
        }, "timeline");
        timed(round, js, wait, "timeline, one year by owner", () -> new Select(d.findElement(By.id("timeline-by"))).selectByValue("owner"), "timeline");
        timed(round, js, wait, "a bar's certificates (keyboard)", () -> {
            d.findElement(By.id("timeline-chart")).sendKeys(org.openqa.selenium.Keys.ARROW_RIGHT);
        }, "bar");
        if (screenshots) {
            browser.screenshot("bench-timeline");
        }
        timed(round, js, wait, "renewals view", () -> d.get(url + "#renewals"), "renewals");
        timed(round, js, wait, "alerts view", () -> d.get(url + "#alerts"), "alerts");
        timed(round, js, wait, "sources view", () -> d.get(url + "#sources"), "sources");
    }

    /** Runs an action and waits for the page's next timing of that kind: from its request to the result on screen. */
    private static void timed(Map<String, Double> out, JavascriptExecutor js, org.openqa.selenium.support.ui.FluentWait<org.openqa.selenium.WebDriver> wait, String what, Runnable action, String kind) {
        js.executeScript("if (window.certflowTimings) window.certflowTimings.length = 0");
        action.run();
        Supplier<Double> latest = () -> {
            Object v = js.executeScript("const t = (window.certflowTimings || []).filter(x => x.what === arguments[0]);"
                    + "return t.length ? t[0].ms : null", kind);
            return v instanceof Number n ? n.doubleValue() : null;
        };
        wait.until(x -> latest.get() != null);
        out.put(what, latest.get());
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private DashboardBench() {
    }
}
