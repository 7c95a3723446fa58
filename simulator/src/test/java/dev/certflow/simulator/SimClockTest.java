package dev.certflow.simulator;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimClockTest {

    @Test
    void oneRealMinuteAtSpeed1440IsOneSimulatedDay() {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        SimClock clock = ticker.clock(1440);
        assertThat(clock.instant()).isEqualTo(TestHttp.START);
        ticker.advanceReal(Duration.ofMinutes(1));
        assertThat(clock.instant()).isEqualTo(TestHttp.START.plus(Duration.ofDays(1)));
        assertThat(clock.realElapsed()).isEqualTo(Duration.ofMinutes(1));
        assertThat(clock.elapsed()).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void realTimeSpeedAndJumps() {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        SimClock clock = ticker.clock(1);
        ticker.advanceReal(Duration.ofSeconds(90));
        assertThat(clock.instant()).isEqualTo(TestHttp.START.plusSeconds(90));
        clock.advance(Duration.ofHours(5));
        assertThat(clock.instant()).isEqualTo(TestHttp.START.plusSeconds(90).plus(Duration.ofHours(5)));
        assertThat(clock.realElapsed()).as("a jump does not move real time").isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isAJavaClockInAnyZone() {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        SimClock clock = ticker.clock(60);
        ticker.advanceReal(Duration.ofSeconds(1));
        var berlin = clock.withZone(java.time.ZoneId.of("Europe/Berlin"));
        assertThat(berlin.instant()).isEqualTo(TestHttp.START.plusSeconds(60));
        assertThat(java.time.LocalTime.now(berlin).getHour()).isEqualTo(9); // 08:01Z = 09:01 CET
    }

    @Test
    void realTimeClockMovesForwardAndRejectsBadSpeeds() {
        SimClock clock = SimClock.realTime(Instant.EPOCH, 1000);
        Instant first = clock.instant();
        assertThat(clock.instant()).isAfterOrEqualTo(first);
        assertThatThrownBy(() -> SimClock.realTime(Instant.EPOCH, 0)).hasMessageContaining("speed");
        assertThatThrownBy(() -> SimClock.realTime(Instant.EPOCH, -2)).hasMessageContaining("-2");
    }

    @Test
    void aRunningClockHeldAgainStopsWhereItIsAndGoesOnFromThereWhenReleased() {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        SimClock clock = ticker.clock(100_000);
        ticker.advanceReal(Duration.ofMillis(864)); // one simulated day
        clock.hold();
        assertThat(clock.running()).isFalse();
        Instant held = clock.instant();
        assertThat(held).isEqualTo(TestHttp.START.plus(Duration.ofDays(1)));
        ticker.advanceReal(Duration.ofSeconds(7)); // a stalled pipeline: eight simulated days if it ran
        assertThat(clock.instant()).isEqualTo(held);
        clock.hold(); // no effect on a held clock
        clock.advance(Duration.ofHours(1)); // jumps still count while held
        clock.release();
        ticker.advanceReal(Duration.ofMillis(864));
        assertThat(clock.instant()).isEqualTo(TestHttp.START.plus(Duration.ofDays(2)).plus(Duration.ofHours(1)));
        assertThat(clock.realElapsed()).isEqualTo(Duration.ofMillis(864 * 2 + 7000));
    }

    @Test
    void aHeldClockStaysAtItsStartUntilReleased() {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        SimClock clock = new SimClock(TestHttp.START, 100_000, ticker.nanos::get, true);
        ticker.advanceReal(Duration.ofSeconds(5)); // a pipeline starting: nearly 6 simulated days if it ran
        assertThat(clock.running()).isFalse();
        assertThat(clock.instant()).isEqualTo(TestHttp.START);
        assertThat(clock.realElapsed()).as("token lifetimes still count real time").isEqualTo(Duration.ofSeconds(5));
        clock.advance(Duration.ofHours(1));
        assertThat(clock.instant()).isEqualTo(TestHttp.START.plus(Duration.ofHours(1)));
        clock.release();
        assertThat(clock.running()).isTrue();
        ticker.advanceReal(Duration.ofSeconds(1));
        assertThat(clock.instant()).isEqualTo(TestHttp.START.plus(Duration.ofHours(1)).plusSeconds(100_000));
        clock.release(); // a second release changes nothing
        assertThat(clock.instant()).isEqualTo(TestHttp.START.plus(Duration.ofHours(1)).plusSeconds(100_000));
        assertThat(SimClock.held(TestHttp.START, 2).running()).isFalse();
    }
}
