package dev.certflow.streams;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.Severity;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.certflow.streams.Fixtures.START;
import static org.assertj.core.api.Assertions.assertThat;

class ExpiryRulesTest {
    private final ExpiryRules rules = new ExpiryRules(Harness.fixedThresholds());
    private final CertificateKey key = Fixtures.key("acme", "r");

    @Test
    void bucketAndNextTransitionAtBoundaries() {
        Certificate c = Fixtures.cert(key, START.plus(Duration.ofDays(30)));
        long now = START.toEpochMilli();
        ExpiryRules.Evaluation atBoundary = rules.evaluate(c, now);
        assertThat(atBoundary.bucket().label()).isEqualTo("30d");
        assertThat(atBoundary.nextTransition()).isEqualTo(START.plus(Duration.ofDays(16)).toEpochMilli());
        ExpiryRules.Evaluation justBefore = rules.evaluate(c, now - 1);
        assertThat(justBefore.bucket()).isNull();
        assertThat(justBefore.nextTransition()).isEqualTo(now);
        ExpiryRules.Evaluation expired = rules.evaluate(c, START.plus(Duration.ofDays(30)).toEpochMilli());
        assertThat(expired.bucket().expired()).isTrue();
        assertThat(expired.bucket().severity()).isEqualTo(Severity.CRITICAL);
        assertThat(expired.nextTransition()).isEqualTo(ExpiryRules.NEVER);
        assertThat(ExpiryRules.daysLeft(START.toEpochMilli(), START.plusSeconds(1).toEpochMilli())).isEqualTo(-1);
    }

    @Test
    void theDefaultFloorsAreSevenAndOneDays() {
        ExpiryRules floors = new ExpiryRules(new StreamsSettings());
        Certificate c = Fixtures.cert(key, START.plus(Duration.ofDays(7)));
        assertThat(floors.evaluate(c, START.toEpochMilli() - 1).bucket()).isNull();
        assertThat(floors.evaluate(c, START.toEpochMilli() - 1).nextTransition()).isEqualTo(START.toEpochMilli());
        assertThat(floors.evaluate(c, START.toEpochMilli()).bucket().label()).isEqualTo("7d");
        assertThat(floors.evaluate(c, START.plus(Duration.ofDays(6)).toEpochMilli()).bucket().label()).isEqualTo("1d");
    }

    @Test
    void unknownExpiryHasNoBucketAndNoTransition() {
        Certificate pending = Certificate.newBuilder(Fixtures.cert(key, null)).setExpiryStatus(ExpiryStatus.PENDING).build();
        ExpiryRules.Evaluation e = rules.evaluate(pending, Long.MAX_VALUE - 1);
        assertThat(e.bucket()).isNull();
        assertThat(e.nextTransition()).isEqualTo(ExpiryRules.NEVER);
    }

    @Test
    void percentagesNeedALifetimeAndOtherwiseFallBackToDays() {
        StreamsSettings s = Harness.fixedThresholds();
        s.lifetimePercentages = List.of(50);
        ExpiryRules pct = new ExpiryRules(s);
        Certificate noNotBefore = Fixtures.cert(key, START.plus(Duration.ofDays(20)));
        assertThat(pct.evaluate(noNotBefore, START.toEpochMilli()).bucket().label()).isEqualTo("30d");
        Certificate sixDay = Fixtures.cert(key, START.plus(Duration.ofDays(3)), START.minus(Duration.ofDays(3)));
        assertThat(pct.evaluate(sixDay, START.toEpochMilli()).bucket().label()).isEqualTo("50%");
        assertThat(pct.evaluate(sixDay, START.toEpochMilli() - 1).bucket()).isNull();
    }

    @Test
    void timeIndexKeysSortByTimeAndRangeUpToIsInclusive() {
        List<Bytes> keys = new ArrayList<>();
        long[] times = {-5_000L, -1L, 0L, 1L, 1_700_000_000_000L, 1_700_000_000_001L};
        for (long t : times) {
            keys.add(TimeIndex.key(t, "k"));
        }
        for (int i = 1; i < keys.size(); i++) {
            assertThat(keys.get(i - 1).compareTo(keys.get(i))).isNegative();
        }
        Bytes at = TimeIndex.key(1_700_000_000_000L, "smoxy/x/-/zzz");
        assertThat(at.compareTo(TimeIndex.upTo(1_700_000_000_000L))).isNegative();
        assertThat(TimeIndex.key(1_700_000_000_001L, "a").compareTo(TimeIndex.upTo(1_700_000_000_000L))).isPositive();
        assertThat(TimeIndex.first().compareTo(TimeIndex.key(Long.MIN_VALUE, "a"))).isNegative();
        assertThat(TimeIndex.time(at)).isEqualTo(1_700_000_000_000L);
        assertThat(TimeIndex.certificateKey(at)).isEqualTo("smoxy/x/-/zzz");
        assertThat(Instant.ofEpochMilli(TimeIndex.time(TimeIndex.key(-1L, "a")))).isEqualTo(Instant.ofEpochMilli(-1));
    }
}
