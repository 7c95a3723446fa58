package dev.certflow.streams;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateNameMatch;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Takes the name index's conclusion about a certificate back in the certificate's own task: keeps it
 * (superseded by, newer holder elsewhere) and re-evaluates the certificate, which resolves or raises
 * its alerts. A replacement with another issuer is RENEWAL_DRIFT. A conclusion computed under a name
 * that is no longer the certificate's primary name is stale and ignored.
 */
final class MatchProcessor implements Processor<String, CertificateNameMatch, String, Object> {
    private final CertificateLifecycle.Setup setup;
    private ProcessorContext<String, Object> ctx;
    private KeyValueStore<String, Certificate> certificates;
    private KeyValueStore<String, CertificateNameMatch> matches;
    private CertificateLifecycle lifecycle;

    MatchProcessor(CertificateLifecycle.Setup setup) {
        this.setup = setup;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        ctx = context;
        certificates = context.getStateStore(Names.CERTIFICATE_STORE);
        matches = context.getStateStore(Names.MATCH_STORE);
        lifecycle = setup.open(context);
    }

    @Override
    public void process(Record<String, CertificateNameMatch> record) {
        String key = record.key();
        CertificateNameMatch m = record.value();
        if (key == null || m == null) {
            return;
        }
        if (!CertificateKeys.format(m.getCertificateKey()).equals(key)) {
            throw new IllegalArgumentException("certificate-name-matches record key '" + key + "' differs from field certificateKey '"
                    + CertificateKeys.format(m.getCertificateKey()) + "'");
        }
        long now = setup.now(ctx);
        Certificate c = certificates.get(key);
        if (c == null || !setup.policy().enabled()) {
            if (matches.get(key) != null) {
                matches.delete(key);
            }
            return;
        }
        if (!Objects.equals(m.getPrimaryName(), DomainNames.primary(c))) {
            return;
        }
        CertificateNameMatch prev = matches.get(key);
        if (m.getSupersededBy() == null && m.getNewerHolder() == null) {
            if (prev != null) {
                matches.delete(key);
            }
        } else {
            // since when this holder has been the newer one: the deploy grace runs from there. That is the
            // record's timestamp (the instant the update that made it newer was evaluated, which the name index
            // passes on), not this task's now: the two repartition hops in between must not lengthen the grace
            boolean sameHolder = prev != null && m.getNewerHolder() != null && m.getNewerHolder().equals(prev.getNewerHolder());
            long since = Math.min(record.timestamp(), now);
            m = CertificateNameMatch.newBuilder(m).setNewerHolderSeenAt(m.getNewerHolder() == null ? null
                    : sameHolder && prev.getNewerHolderSeenAt() != null ? prev.getNewerHolderSeenAt() : Instant.ofEpochMilli(since)).build();
            matches.put(key, m);
        }
        if (m.getSupersededBy() != null && (prev == null || !m.getSupersededBy().equals(prev.getSupersededBy()))
                && CertificateProcessor.issuerChanged(c.getIssuer(), m.getSupersededByIssuer())) {
            String replacement = CertificateKeys.format(m.getSupersededBy());
            lifecycle.alerts().fire(ctx, Alerts.slot(AlertKinds.DRIFT_SLOT, key),
                    AlertKinds.drift(key, c, List.of(), c.getIssuer(), m.getSupersededByIssuer(), replacement,
                            m.getSupersededByNotAfter().toEpochMilli(), now), now, "replaced again");
        }
        lifecycle.evaluate(key, now);
    }
}
