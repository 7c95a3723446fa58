package dev.certflow.streams;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps a global store equal to its compacted topic (a tombstone removes): {@code alert-silences}
 * into {@link Names#SILENCE_STORE}, {@code alert-acknowledgements} into {@link Names#ACKNOWLEDGEMENT_STORE}.
 */
final class GlobalStoreUpdater<V> implements Processor<String, V, Void, Void> {
    private final String storeName;
    private KeyValueStore<String, V> store;

    GlobalStoreUpdater(String storeName) {
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, V> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
        } else {
            store.put(record.key(), record.value());
        }
    }
}
