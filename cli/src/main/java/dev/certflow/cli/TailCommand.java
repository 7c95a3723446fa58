package dev.certflow.cli;

import dev.certflow.runtime.service.ConfigOptions;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.registry.SchemaRegistryClients;
import dev.certflow.schemas.serde.AvroDeserializer;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.errors.WakeupException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code certflow tail TOPIC}: another process reading certflow's topics the way any team's
 * consumer would, knowing only the brokers and the schema registry (generic Avro records, printed
 * as JSON lines: key, then value or null for a tombstone).
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Print a topic's records as JSON lines, reading them like any other consumer (generic Avro via the schema registry).")
public final class TailCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Parameters(index = "0", description = "Topic base name, for example certificate-alerts (the configured prefix is added)")
    String topic;

    @Option(names = "--from-beginning", description = "Start at the earliest record instead of the end")
    boolean fromBeginning;

    @Option(names = "--max", defaultValue = "-1", description = "Stop after this many records (default: run until Ctrl-C)")
    long max;

    @Override
    public Integer call() {
        ConfigTree tree = options.load();
        KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
        String name = kafka.topicPrefix + topic;
        Map<String, Object> props = kafka.consumer("certflow-tail-" + UUID.randomUUID(), "certflow-tail");
        props.put("auto.offset.reset", fromBeginning ? "earliest" : "latest");
        AvroDeserializer<GenericRecord> values = new AvroDeserializer<>();
        values.configure(Map.of(SchemaRegistryClients.URL, kafka.schemaRegistryUrl), false);
        PrintStream out = System.out;
        try (KafkaConsumer<String, GenericRecord> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            Thread main = Thread.currentThread();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                consumer.wakeup();
                try {
                    main.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            consumer.subscribe(List.of(name));
            long seen = 0;
            while (max < 0 || seen < max) {
                for (ConsumerRecord<String, GenericRecord> r : consumer.poll(Duration.ofMillis(500))) {
                    // GenericRecord.toString is Avro's JSON rendering
                    out.println("{\"key\":" + quote(r.key()) + ",\"value\":" + (r.value() == null ? "null" : r.value().toString()) + "}");
                    if (++seen == max) {
                        break;
                    }
                }
            }
        } catch (WakeupException e) {
            return 0;
        }
        return 0;
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
