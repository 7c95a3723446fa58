// A non-Java consumer of certflow's topics: kafkajs with the Confluent schema registry client, as
// another team would write one. Reads each topic from the beginning up to the offsets given (the
// last record a Java read_committed consumer saw per partition), decodes every value through the
// registry and writes one JSON line per record. Logging stays on: a consumer that crashes on a
// batch it cannot read must say so. Usage: node read-topics.js <plan.json> <out.jsonl>
'use strict';
const fs = require('fs');
const { Kafka, logLevel } = require('kafkajs');
const { SchemaRegistry } = require('@kafkajs/confluent-schema-registry');

const [planFile, outFile] = process.argv.slice(2);
const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
const deadline = Date.now() + (plan.timeoutMs || 60000);

const logCreator = () => ({ namespace, level, label, log }) => {
  const { message, ...extra } = log;
  console.error(`kafkajs ${label} [${namespace}] ${message} ${JSON.stringify(extra)}`);
};
const kafka = new Kafka({ clientId: 'certflow-kafkajs-reader', brokers: plan.brokers, logLevel: logLevel.INFO, logCreator });
const registry = new SchemaRegistry({ host: plan.registryUrl });

function b64(buf) {
  return buf == null ? null : Buffer.from(buf).toString('base64');
}

async function decode(buf) {
  if (buf == null) return { value: null };
  try {
    return { value: await registry.decode(buf) };
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  }
}

// Reads one topic up to its targets ({ partition: last offset }); returns the records read, throws what stopped it.
async function readTopic(t, out) {
  const pending = new Map(Object.entries(t.targets).map(([p, o]) => [Number(p), BigInt(o)]));
  if (pending.size === 0) return 0;
  const consumer = kafka.consumer({ groupId: `certflow-kafkajs-${t.name}-${process.pid}-${Date.now()}`, readUncommitted: false });
  let crash = null;
  consumer.on(consumer.events.CRASH, (e) => { crash = e.payload.error; });
  let count = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [t.name], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const target = pending.get(partition);
        const offset = BigInt(message.offset);
        if (target === undefined || offset > target) return;
        const line = {
          topic: t.name, partition, offset: message.offset,
          key: message.key == null ? null : message.key.toString('utf8'),
          headers: Object.fromEntries(Object.entries(message.headers || {}).map(([k, v]) => [k, b64(Array.isArray(v) ? v[0] : v)])),
        };
        if (t.avro) {
          Object.assign(line, await decode(message.value));
        } else {
          line.raw = b64(message.value);
          // dead letters keep the original bytes: decode them too where they are registry-framed Avro
          if (message.value && message.value.length > 5 && message.value[0] === 0) {
            const original = await decode(message.value);
            line.original = original.value === undefined ? null : original.value;
            line.originalError = original.error || null;
          }
        }
        out.write(JSON.stringify(line) + '\n');
        count++;
        if (offset === target) pending.delete(partition);
      },
    });
    while (pending.size > 0 && !crash && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  if (crash) throw new Error(`consumer crashed: ${crash.name}: ${crash.message}`);
  if (pending.size > 0) throw new Error(`timed out: partitions ${[...pending.keys()].join(', ')} not read to their last offset`);
  return count;
}

(async () => {
  const out = fs.createWriteStream(outFile);
  try {
    const failed = [];
    for (const t of plan.topics) {
      try {
        console.error(`read ${await readTopic(t, out)} records from ${t.name}`);
      } catch (e) {
        console.error(`UNREADABLE ${t.name}: ${e.message}`);
        failed.push(`${t.name} (${e.message})`);
      }
    }
    if (failed.length) throw new Error(`kafkajs could not read ${failed.length} of ${plan.topics.length} topics: ${failed.join('; ')}`);
  } finally {
    await new Promise((r) => out.end(r));
  }
})().then(() => process.exit(0), (e) => {
  console.error(`FAILED: ${e.message}`);
  process.exit(2);
});
