package dev.certflow.simulator;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class SimulatorOptionsTest {
    @Test
    void aCopyHasEveryPublicFieldOfTheOriginal() throws Exception {
        SimulatorOptions o = new SimulatorOptions().seed(9).size(77).speed(100_000).start(Instant.parse("2027-01-01T00:00:00Z"))
                .clock(SimClock.held(Instant.parse("2027-01-01T00:00:00Z"), 100_000)).port(1234).tokenTtl(Duration.ofSeconds(5))
                .refreshTokenTtl(Duration.ofSeconds(6)).pbxOutage(false).faults(0.1, 0.2, 0.3, 0.4).profile(Profile.YEAR)
                .slowDelay(Duration.ofMillis(7)).authErrors(0.05).echoRequests(true).disorder(0.5, 0.6, 0.7);
        o.host = "0.0.0.0";
        o.retryAfterSeconds = 3;
        o.credential = "c";
        o.threads = 2;
        SimulatorOptions copy = o.copy();
        SimulatorOptions defaults = new SimulatorOptions();
        for (Field f : SimulatorOptions.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            assertThat(f.get(o)).as(f.getName() + " set to something else than the default").isNotEqualTo(f.get(defaults));
            assertThat(f.get(copy)).as(f.getName()).isEqualTo(f.get(o));
        }
        assertThat(copy).isNotSameAs(o);
    }
}
