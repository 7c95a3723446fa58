"""A non-Java consumer of certflow's topics on a second client stack: confluent-kafka-python
(librdkafka, a C client) with isolation.level read_committed, and the schema registry client and
Avro deserializer that ship with it (confluent_kafka.avro: the schema fetched by id over the
registry's REST API, the Confluent wire format read, the body decoded by Apache Avro for Python).
Debian bookworm packages all of it: python3-confluent-kafka, python3-avro, python3-requests (its
newer confluent_kafka.schema_registry.avro needs fastavro, which Debian does not package).

Reads each topic from the beginning up to the offsets in the plan (the last record a Java
read_committed consumer saw per partition), decodes every value and writes one JSON line per
record in the form ForeignConsumerCheck compares. librdkafka's log goes to stderr.
Usage: python3 read_topics.py <plan.json> <out.jsonl>"""
import base64
import datetime
import json
import logging
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, TopicPartition
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def say(text):
    print(text, file=sys.stderr, flush=True)


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def plain(value):
    """json.dumps default: what Avro for Python decodes that JSON has no form for, as avsc/kafkajs writes it."""
    if isinstance(value, datetime.datetime):  # timestamp-millis, tz-aware UTC
        return (value - EPOCH) // datetime.timedelta(milliseconds=1)
    if isinstance(value, bytes):  # Node's Buffer.toJSON()
        return {"type": "Buffer", "data": list(value)}
    raise TypeError(f"no JSON form for decoded {type(value).__name__}")


def decode(serde, data):
    if data is None:
        return {"value": None}
    try:
        value = serde.decode_message(data)
        json.dumps(value, default=plain)  # fail here, per record, on a value with no JSON form
        return {"value": value}
    except Exception as e:  # one record that does not decode is reported, the others still read
        return {"error": f"{type(e).__name__}: {e}"}


def main(plan_file, out_file):
    with open(plan_file, encoding="utf-8") as f:
        plan = json.load(f)
    deadline = time.monotonic() + plan.get("timeoutMs", 60000) / 1000
    say(f"confluent_kafka {confluent_kafka.version()[0]} librdkafka {confluent_kafka.libversion()[0]}")
    log = logging.getLogger("librdkafka")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("librdkafka %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    serde = MessageSerializer(CachedSchemaRegistryClient({"url": plan["registryUrl"]}))

    errors = {}
    consumer = Consumer({
        "bootstrap.servers": ",".join(plan["brokers"]),
        "client.id": "certflow-python-reader",
        "group.id": f"certflow-python-{int(time.time() * 1000)}",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "logger": log,
        "error_cb": lambda e: say(f"librdkafka ERROR {e}"),
    })
    topics = {t["name"]: t for t in plan["topics"]}
    pending = {(t["name"], int(p)): int(o) for t in plan["topics"] for p, o in t["targets"].items()}
    counts = {name: 0 for name in topics}
    consumer.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for topic, p in pending])
    try:
        with open(out_file, "w", encoding="utf-8") as out:
            while pending and time.monotonic() < deadline:
                msg = consumer.poll(0.2)
                if msg is None:
                    continue
                topic = msg.topic()
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    errors.setdefault(topic, str(msg.error()))
                    for tp in [tp for tp in pending if tp[0] == topic]:
                        del pending[tp]
                    continue
                tp = (topic, msg.partition())
                if tp not in pending or msg.offset() > pending[tp]:
                    continue
                line = {
                    "topic": topic, "partition": msg.partition(), "offset": str(msg.offset()),
                    "key": None if msg.key() is None else msg.key().decode("utf-8", errors="replace"),
                    "headers": {k: b64(v) for k, v in (msg.headers() or [])},
                }
                if topics[topic]["avro"]:
                    line.update(decode(serde, msg.value()))
                else:
                    value = msg.value()
                    line["raw"] = b64(value)
                    # dead letters keep the original bytes: decode them too where they are registry-framed Avro
                    if value is not None and len(value) > 5 and value[0] == 0:
                        original = decode(serde, value)
                        line["original"] = original.get("value")
                        line["originalError"] = original.get("error")
                out.write(json.dumps(line, default=plain) + "\n")
                counts[topic] += 1
                if msg.offset() == pending[tp]:
                    del pending[tp]
    finally:
        consumer.close()
    for name in topics:
        left = sorted(p for t, p in pending if t == name)
        if name in errors:
            say(f"UNREADABLE {name}: {errors[name]}")
        elif left:
            errors[name] = f"timed out: partitions {', '.join(map(str, left))} not read to their last offset"
            say(f"UNREADABLE {name}: {errors[name]}")
        else:
            say(f"read {counts[name]} records from {name}")
    if errors:
        failed = "; ".join(f"{n} ({e})" for n, e in errors.items())
        say(f"FAILED: librdkafka could not read {len(errors)} of {len(topics)} topics: {failed}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
