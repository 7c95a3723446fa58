package dev.certflow.streams;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * On a real broker: the dashboard's index store has no changelog, yet every instance answers from
 * the same index. A new state directory (a new instance, a lost disk) rebuilds it from the
 * summaries' changelog; an instance coming back to a task that ran elsewhere in between finds its
 * local index behind the committed summaries and rebuilds it too. In each case the index holds
 * exactly {@link FleetIndex#indexKeys} of every summary.
 */
class FleetIndexRebuildIntegrationTest {
    private static final int CERTIFICATES = 120;

    @Test
    void everyInstanceRebuildsTheIndexItDoesNotHoldCurrent(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("fleet-rebuild");
        new TopicManager(kafka).ensure(Topics.ALL);
        Topics.Topic<String, Certificate> topic = kafka.topics().certificates();
        String appId = TestKafka.uniqueId("fleet-rebuild-app");
        try (Admin admin = Admin.create(kafka.admin("fleet-rebuild-admin"))) {
            Instant now = Instant.now();
            publish(kafka, topic, now, 0);
            Set<String> first;
            try (StreamsApp a = start(kafka, appId, dir.resolve("a"))) {
                KafkaIo.awaitCommitted(kafka, appId, topic.name(), Duration.ofSeconds(90));
                first = awaitIndexOfSummaries(a, CERTIFICATES);
            }
            assertThat(admin.listTopics().names().get()).as("no changelog for the index")
                    .doesNotContain(appId + "-" + Names.FLEET_INDEX_STORE + "-changelog")
                    .contains(appId + "-" + Names.FLEET_SUMMARY_STORE + "-changelog");

            Set<String> moved;
            try (StreamsApp b = start(kafka, appId, dir.resolve("b"))) { // a new state directory: restored, then rebuilt
                assertThat(awaitIndexOfSummaries(b, CERTIFICATES)).isEqualTo(first);
                publish(kafka, topic, now, 1); // every certificate's expiry moves while the task runs here
                KafkaIo.awaitCommitted(kafka, appId, topic.name(), Duration.ofSeconds(90));
                moved = awaitIndexOfSummaries(b, CERTIFICATES);
            }
            assertThat(moved).isNotEqualTo(first);

            try (StreamsApp a = start(kafka, appId, dir.resolve("a"))) { // back on the first disk, whose index is behind
                assertThat(awaitIndexOfSummaries(a, CERTIFICATES)).isEqualTo(moved);
            }
        }
    }

    private static StreamsApp start(KafkaSettings kafka, String appId, Path stateDir) {
        StreamsSettings s = TwoInstancesQueryIntegrationTest.settings(appId, stateDir);
        return StreamsApp.start(kafka, s, null, null);
    }

    private static void publish(KafkaSettings kafka, Topics.Topic<String, Certificate> topic, Instant now, int wave) {
        List<ProducerRecord<String, Certificate>> records = new ArrayList<>();
        for (int i = 0; i < CERTIFICATES; i++) {
            CertificateKey key = Fixtures.key(i % 3 == 0 ? "acme" : "bank", "c" + i);
            Instant notAfter = i % 11 == 0 ? null : now.plus(Duration.ofDays(5 + i + 200L * wave));
            Certificate c = Fixtures.cert(key, notAfter);
            records.add(new ProducerRecord<>(topic.name(), Fixtures.k(key), c));
        }
        KafkaIo.produce(kafka, topic.name(), Serdes.String().serializer(), topic.valueSerde().serializer(), records);
    }

    /**
     * Waits until the app runs and its index holds what its summaries derive (and all the certificates
     * are summarised), then returns the index's keys (the sequence key left out).
     */
    private static Set<String> awaitIndexOfSummaries(StreamsApp app, int certificates) {
        List<Set<String>> result = new ArrayList<>();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() -> {
            assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
            ReadOnlyKeyValueStore<String, FleetIndex.Entry> summaries = app.streams().store(
                    StoreQueryParameters.fromNameAndType(Names.FLEET_SUMMARY_STORE, QueryableStoreTypes.<String, FleetIndex.Entry>keyValueStore()));
            ReadOnlyKeyValueStore<Bytes, byte[]> index = app.streams().store(
                    StoreQueryParameters.fromNameAndType(Names.FLEET_INDEX_STORE, QueryableStoreTypes.<Bytes, byte[]>keyValueStore()));
            Set<String> expected = new TreeSet<>();
            int summarised = 0;
            try (KeyValueIterator<String, FleetIndex.Entry> it = summaries.all()) {
                while (it.hasNext()) {
                    KeyValue<String, FleetIndex.Entry> kv = it.next();
                    FleetIndex.indexKeys(kv.key, kv.value).forEach(k -> expected.add(k.toString()));
                    summarised++;
                }
            }
            Set<String> actual = new TreeSet<>();
            try (KeyValueIterator<Bytes, byte[]> it = index.all()) {
                while (it.hasNext()) {
                    Bytes k = it.next().key;
                    if (!k.equals(FleetIndex.INDEX_SEQUENCE)) {
                        actual.add(k.toString());
                    }
                }
            }
            assertThat(summarised).isEqualTo(certificates);
            assertThat(actual).isEqualTo(expected);
            result.clear();
            result.add(actual);
        });
        return result.get(0);
    }
}
