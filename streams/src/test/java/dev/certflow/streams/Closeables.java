package dev.certflow.streams;

import java.util.ArrayList;
import java.util.List;

/** What a test opened, closed in reverse order after it (held in a field marked with JUnit's {@code @AutoClose}). */
final class Closeables implements AutoCloseable {
    private final List<AutoCloseable> items = new ArrayList<>();

    <T extends AutoCloseable> T add(T item) {
        items.add(item);
        return item;
    }

    @Override
    public void close() throws Exception {
        for (int i = items.size() - 1; i >= 0; i--) {
            items.get(i).close();
        }
        items.clear();
    }
}
