package dev.certflow.streams;

import dev.certflow.events.Silence;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Keeps the global silence store equal to the compacted {@code alert-silences} topic (a tombstone removes). */
final class SilenceStoreUpdater implements Processor<String, Silence, Void, Void> {
    private KeyValueStore<String, Silence> store;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(Names.SILENCE_STORE);
    }

    @Override
    public void process(Record<String, Silence> record) {
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
