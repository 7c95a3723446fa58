package dev.certflow.bench.suite;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class TickRowsHangTest {
    /** A child that prints a line and then blocks in a method the thread dump must name. */
    public static final class Hangs {
        public static void main(String[] args) throws InterruptedException {
            System.out.println("phase: about to block");
            System.out.flush();
            blockForever();
        }

        static void blockForever() throws InterruptedException {
            new CountDownLatch(1).await();
        }
    }

    @Test
    void aHungChildIsReportedWithItsLogTailAndWhereItsMainThreadStopped(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("child.log");
        Process p = Bench.childJvm(List.of("-Xmx64m"), Hangs.class.getName(), List.of())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(Bench.await(Duration.ofSeconds(30), Duration.ofMillis(50),
                    () -> Files.exists(log) && read(log).contains("about to block"))).isTrue();
            String report = TickRows.hangReport(p, log);
            assertThat(report).contains("pid " + p.pid()).contains("phase: about to block").contains("main thread:")
                    .contains("Hangs.blockForever");
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void mainStackKeepsOnlyTheMainThread() {
        String dump = "header\n\n\"other\" #2\n   at X.y\n\n\"main\" #1 prio=5\n   at A.b(A.java:1)\n   at A.main\n\n\"tail\" #3\n   at Z.z\n";
        assertThat(TickRows.mainStack(dump)).contains("A.b(A.java:1)").contains("A.main").doesNotContain("X.y").doesNotContain("Z.z");
        assertThat(TickRows.mainStack("no threads here")).isEqualTo("no threads here");
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
