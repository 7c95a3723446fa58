package dev.certflow.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

import java.nio.ByteBuffer;

/**
 * The Confluent Schema Registry wire format: magic byte 0, the schema id as a 4-byte big-endian
 * int, then the Avro binary encoding of the datum.
 */
final class WireFormat {
    static final byte MAGIC_BYTE = 0x0;
    static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** Reads and checks the 5-byte header, leaving the buffer at the start of the Avro payload. */
    static int readSchemaId(String topic, ByteBuffer buffer) {
        if (buffer.remaining() < HEADER_SIZE) {
            throw new SerializationException("topic " + topic + ": record of " + buffer.remaining()
                    + " bytes is too short for the Confluent wire format (magic byte + 4-byte schema id)");
        }
        byte magic = buffer.get();
        if (magic != MAGIC_BYTE) {
            throw new SerializationException("topic " + topic + ": unknown magic byte 0x"
                    + String.format("%02x", magic) + " (expected 0x00): not Confluent wire format");
        }
        return buffer.getInt();
    }
}
