package dev.certflow.schemas;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Adds {@code schema-history/<Record>/v<N+1>.avsc} for every contract that differs from its newest
 * released version, so a release records what it shipped. Run from {@code schemas/}:
 * {@code mvn -q test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.certflow.schemas.RecordSchemaHistory}
 * ({@link SchemaHistoryTest} fails until this has been done for a changed contract).
 */
public final class RecordSchemaHistory {
    private RecordSchemaHistory() {
    }

    public static void main(String[] args) throws Exception {
        Path history = args.length > 0 ? Path.of(args[0]) : SchemaHistoryTest.HISTORY;
        List<Schema> contracts = SchemaHistoryTest.contracts().toList();
        for (Schema current : contracts) {
            Path dir = history.resolve(current.getName());
            Files.createDirectories(dir);
            int newest;
            try (Stream<Path> files = Files.list(dir)) {
                newest = files.map(p -> p.getFileName().toString()).filter(n -> n.matches("v\\d+\\.avsc"))
                        .mapToInt(n -> Integer.parseInt(n.substring(1, n.length() - 5))).max().orElse(0);
            }
            if (newest > 0) {
                Schema released = new Schema.Parser().parse(dir.resolve("v" + newest + ".avsc").toFile());
                if (SchemaNormalization.toParsingForm(released).equals(SchemaNormalization.toParsingForm(current))) {
                    continue;
                }
            }
            Path file = dir.resolve("v" + (newest + 1) + ".avsc");
            Files.writeString(file, current.toString(true) + "\n");
            System.out.println("recorded " + file);
        }
    }
}
