package dev.certflow.streams;

import dev.certflow.events.CertificateKey;
import dev.certflow.events.CertificateName;
import dev.certflow.events.CertificateNameMatch;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The name index (input partitioned by a name's parent domain, so a name's holders and the
 * wildcards covering it are in this task): entries keyed {@code parent|name|certificate key}, read
 * by prefix scans, never a full scan. For each certificate whose primary name an update touches, it
 * works out
 * <ul>
 *   <li>supersededBy: a certificate of the same tenant, source kind and source name that covers
 *       every name of this one and expires later (the newest such);</li>
 *   <li>newerHolder (only for certificates renewed by hand): a certificate at another source that
 *       covers every name of this one and expires later (the newest such);</li>
 * </ul>
 * and sends the result, when it changed, to the certificate's own task (keyed by its key). Cost of
 * an update: the holders of one name, or for a wildcard the names directly under its parent.
 */
final class NameIndexProcessor implements Processor<String, CertificateName, String, CertificateNameMatch> {
    private static final StringSerializer KEYS = new StringSerializer();

    private ProcessorContext<String, CertificateNameMatch> ctx;
    private KeyValueStore<String, CertificateName> index;
    private KeyValueStore<String, CertificateNameMatch> sent;

    @Override
    public void init(ProcessorContext<String, CertificateNameMatch> context) {
        ctx = context;
        index = context.getStateStore(Names.NAME_INDEX_STORE);
        sent = context.getStateStore(Names.NAME_RESULT_STORE);
    }

    static String entryKey(String name, String certificateKey) {
        return DomainNames.parent(name) + '|' + name + '|' + certificateKey;
    }

    @Override
    public void process(Record<String, CertificateName> record) {
        CertificateName e = record.value();
        if (e == null) {
            return; // the index is updated by explicit removals, a tombstone names no certificate
        }
        String certificateKey = CertificateKeys.format(e.getCertificateKey());
        String name = e.getName();
        if (name == null || name.isEmpty() || !DomainNames.parent(name).equals(record.key())) {
            throw new IllegalArgumentException("certificate-names record key '" + record.key() + "' is not the parent domain of name '"
                    + name + "' (certificate " + certificateKey + ")");
        }
        String k = entryKey(name, certificateKey);
        if (e.getRemoved()) {
            index.delete(k);
        } else {
            index.put(k, e);
        }
        long now = record.timestamp();
        for (CertificateName subject : subjects(name)) {
            recompute(subject, now);
        }
        if (e.getRemoved() && name.equals(e.getPrimaryName()) && sent.get(certificateKey) != null) {
            // its primary name left this task: clear what this task said about it
            sent.delete(certificateKey);
            CertificateNameMatch cleared = CertificateNameMatch.newBuilder()
                    .setCertificateKey(e.getCertificateKey()).setPrimaryName(name).build();
            ctx.forward(new Record<>(certificateKey, cleared, now));
        }
    }

    /** The certificates whose primary name is {@code name}, or is covered by it when it is a wildcard. */
    private List<CertificateName> subjects(String name) {
        List<CertificateName> out = new ArrayList<>();
        String prefix = name.startsWith("*.") ? DomainNames.parent(name) + '|' : DomainNames.parent(name) + '|' + name + '|';
        for (CertificateName x : scan(prefix)) {
            if (x.getName().equals(x.getPrimaryName()) && DomainNames.covers(name, x.getName())) {
                out.add(x);
            }
        }
        return out;
    }

    private List<CertificateName> holders(String name) {
        List<CertificateName> out = new ArrayList<>();
        for (CertificateName y : scan(DomainNames.parent(name) + '|' + name + '|')) {
            if (y.getName().equals(name)) {
                out.add(y);
            }
        }
        return out;
    }

    private List<CertificateName> scan(String prefix) {
        List<CertificateName> out = new ArrayList<>();
        try (KeyValueIterator<String, CertificateName> it = index.prefixScan(prefix, KEYS)) {
            while (it.hasNext()) {
                KeyValue<String, CertificateName> kv = it.next();
                out.add(kv.value);
            }
        }
        return out;
    }

    private void recompute(CertificateName x, long now) {
        String primary = x.getPrimaryName();
        List<CertificateName> candidates = new ArrayList<>(holders(primary));
        String wildcard = DomainNames.coveringWildcard(primary);
        if (wildcard != null) {
            candidates.addAll(holders(wildcard));
        }
        CertificateName superseder = null;
        CertificateName newer = null;
        for (CertificateName y : candidates) {
            if (y.getCertificateKey().equals(x.getCertificateKey()) || x.getNotAfter() == null || y.getNotAfter() == null
                    || !y.getNotAfter().isAfter(x.getNotAfter()) || !DomainNames.coversAll(y.getNames(), x.getNames())) {
                continue;
            }
            if (sameSource(x.getCertificateKey(), y.getCertificateKey())) {
                superseder = newest(superseder, y);
            } else if (x.getManualRenewal()) {
                newer = newest(newer, y);
            }
        }
        CertificateNameMatch.Builder b = CertificateNameMatch.newBuilder()
                .setCertificateKey(x.getCertificateKey())
                .setPrimaryName(primary);
        if (superseder != null) {
            b.setSupersededBy(superseder.getCertificateKey()).setSupersededByNotAfter(superseder.getNotAfter())
                    .setSupersededByIssuer(superseder.getIssuer());
        }
        if (newer != null) {
            b.setNewerHolder(newer.getCertificateKey()).setNewerHolderNotAfter(newer.getNotAfter());
        }
        CertificateNameMatch m = b.build();
        String key = CertificateKeys.format(x.getCertificateKey());
        CertificateNameMatch before = sent.get(key);
        boolean empty = superseder == null && newer == null;
        if (Objects.equals(before, m) || (before == null && empty)) {
            return;
        }
        if (empty) {
            sent.delete(key);
        } else {
            sent.put(key, m);
        }
        ctx.forward(new Record<>(key, m, now));
    }

    /** Supersession needs the same tenant, source kind and source instance: a renewal that issues a new id. */
    static boolean sameSource(CertificateKey a, CertificateKey b) {
        return a.getSourceKind() == b.getSourceKind() && a.getSourceName().equals(b.getSourceName())
                && Objects.equals(a.getTenant(), b.getTenant());
    }

    private static CertificateName newest(CertificateName best, CertificateName y) {
        if (best == null || y.getNotAfter().isAfter(best.getNotAfter())) {
            return y;
        }
        if (y.getNotAfter().equals(best.getNotAfter())
                && CertificateKeys.format(y.getCertificateKey()).compareTo(CertificateKeys.format(best.getCertificateKey())) < 0) {
            return y;
        }
        return best;
    }
}
