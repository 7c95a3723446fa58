package dev.certflow.embedded;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Temporary directories that embedded components own and remove when they stop, so nothing is left behind. */
public final class TempDirs {
    private static final Logger LOG = LoggerFactory.getLogger(TempDirs.class);

    private TempDirs() {
    }

    /** A resource whose close deletes {@code dir} and everything in it. */
    public static AutoCloseable deleting(Path dir) {
        return () -> deleteRecursively(dir);
    }

    /** Deletes a directory tree; a failure is logged, not thrown (this runs while shutting down). */
    public static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", dir, e.toString());
        }
    }
}
