package dev.certflow.ingest;

import dev.certflow.ingest.http.HttpFetcher;
import dev.certflow.ingest.http.Sleeper;
import dev.certflow.ingest.publish.CertState;
import dev.certflow.ingest.source.ItemError;
import dev.certflow.ingest.source.Observation;
import dev.certflow.ingest.source.PollSink;
import dev.certflow.schemas.CertificateKeys;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiPredicate;

/** Shared test helpers: sample bodies, a recording sleeper, a fetcher, and an in-memory sink. */
public final class TestSupport {
    private TestSupport() {
    }

    public static String sample(String name) {
        try (InputStream in = TestSupport.class.getResourceAsStream("/samples/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no sample " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Records the waits instead of sleeping. */
    public static final class RecordingSleeper implements Sleeper {
        public final List<Duration> waits = new CopyOnWriteArrayList<>();

        @Override
        public void sleep(Duration duration) {
            waits.add(duration);
        }
    }

    public static HttpFetcher fetcher(RecordingSleeper sleeper, int retries) {
        return new HttpFetcher(HttpFetcher.newClient(Duration.ofSeconds(2)), retries, Duration.ofMillis(100), Duration.ofSeconds(1),
                Duration.ofSeconds(30), sleeper, Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC));
    }

    /** A PollSink that keeps pages in memory and applies checkpoints like the publisher does. */
    public static final class RecordingSink implements PollSink {
        public final Map<String, CertState> state = new HashMap<>();
        public final List<List<Observation>> pages = new ArrayList<>();
        public final List<ItemError> errors = new ArrayList<>();
        public final List<BiPredicate<String, CertState>> complete = new ArrayList<>();

        @Override
        public CertState state(String certificateKey) {
            return state.get(certificateKey);
        }

        @Override
        public void page(List<Observation> observations, List<ItemError> errs) {
            pages.add(List.copyOf(observations));
            errors.addAll(errs);
            for (Observation o : observations) {
                String key = CertificateKeys.format(o.certificate().getKey());
                CertState prior = state.get(key);
                state.put(key, new CertState(o.certificate().getKey(), "fp",
                        o.lastAttemptId() != null ? o.lastAttemptId() : prior == null ? null : prior.lastAttemptId(),
                        o.lastAttemptId() != null ? o.lastAttemptStartedAt() : prior == null ? null : prior.lastAttemptStartedAt(),
                        o.lastStatus() != null ? o.lastStatus() : prior == null ? null : prior.lastStatus(),
                        o.certificate().getNotAfter()));
            }
        }

        @Override
        public void listingComplete(BiPredicate<String, CertState> wouldInclude) {
            complete.add(wouldInclude);
        }

        public List<Observation> all() {
            return pages.stream().flatMap(List::stream).toList();
        }

        public void reset() {
            pages.clear();
            errors.clear();
            complete.clear();
        }
    }
}
