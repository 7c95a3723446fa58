package dev.certflow.streams;

import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Silence;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.concurrent.TimeUnit;

/** The query API's writes to {@code alert-silences} and {@code alert-acknowledgements}: acks=all, waited for before the answer. */
final class KafkaWrites implements WriteApi.Publisher, AutoCloseable {
    private final Topics.Topic<String, Silence> silences;
    private final Topics.Topic<String, Acknowledgement> acks;
    private final KafkaProducer<String, Silence> silenceProducer;
    private final KafkaProducer<String, Acknowledgement> ackProducer;

    KafkaWrites(KafkaSettings kafka, String applicationId) {
        Topics topics = kafka.topics();
        silences = topics.alertSilences();
        acks = topics.alertAcknowledgements();
        silenceProducer = new KafkaProducer<>(kafka.producer(applicationId + "-silences"), silences.keySerde().serializer(),
                silences.valueSerde().serializer());
        ackProducer = new KafkaProducer<>(kafka.producer(applicationId + "-acknowledgements"), acks.keySerde().serializer(),
                acks.valueSerde().serializer());
    }

    @Override
    public void silence(Silence silence) throws Exception {
        silenceProducer.send(new ProducerRecord<>(silences.name(), silence.getSilenceId(), silence)).get(30, TimeUnit.SECONDS);
    }

    @Override
    public void acknowledgement(Acknowledgement ack) throws Exception {
        ackProducer.send(new ProducerRecord<>(acks.name(), ack.getIncidentId(), ack)).get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        silenceProducer.close();
        ackProducer.close();
    }
}
