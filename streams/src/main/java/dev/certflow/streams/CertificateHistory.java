package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.RenewalAttempt;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;

/**
 * A certificate's recent history for the dashboard's detail view ({@link Names#HISTORY_STORE}): its
 * last {@link #MAX_EVENTS} renewal attempts (one entry per attempt id, its latest status), alert
 * transitions (FIRING, RESOLVED) and expiry changes, newest last. Bounded, and removed with the
 * certificate; the full history stays on the topics and in the sink's tables.
 */
final class CertificateHistory {
    static final int MAX_EVENTS = 50;
    static final int MAX_TEXT = 300;

    /**
     * One event.
     *
     * @param type     attempt, alert or expiry
     * @param at       when it happened (attempt: its own time; alert: fired or resolved; expiry: when seen), epoch ms
     * @param id       attempt id or alert id
     * @param status   attempt status, alert status, or "renewed" / "first-seen" / "changed" for expiry
     * @param kind     attempt type or alert kind
     * @param code     error code (attempt) or severity (alert)
     * @param text     error message (attempt) or summary (alert), at most {@link #MAX_TEXT} characters
     * @param notAfter the expiry an attempt issued, or the new expiry
     * @param previous the expiry before (expiry events)
     */
    record Event(String type, long at, String id, String status, String kind, String code, String text, Long notAfter, Long previous) {
    }

    /** The stored value. */
    record Events(List<Event> events) {
    }

    private final KeyValueStore<String, Events> store;

    CertificateHistory(ProcessorContext<?, ?> ctx) {
        store = ctx.getStateStore(Names.HISTORY_STORE);
    }

    void attempt(String key, RenewalAttempt a) {
        Long issued = a.getIssuedNotAfter() == null ? null : a.getIssuedNotAfter().toEpochMilli();
        add(key, new Event("attempt", RenewalProcessor.attemptTime(a), a.getAttemptId(), a.getStatus().name(), a.getAttemptType(),
                a.getErrorCode(), text(a.getErrorMessage()), issued, null), true);
    }

    void alert(Alert a, long now) {
        if (a.getCertificateKey() == null) {
            return;
        }
        add(dev.certflow.schemas.CertificateKeys.format(a.getCertificateKey()), new Event("alert", now, a.getAlertId(),
                a.getStatus().name(), a.getKind().name(), a.getSeverity().name(), text(a.getSummary()), null, null), false);
    }

    void expiry(String key, Long before, Long after, long now) {
        String status = before == null ? "first-seen" : after != null && after > before ? "renewed" : "changed";
        add(key, new Event("expiry", now, null, status, null, null, null, after, before), false);
    }

    void remove(String key) {
        if (store.get(key) != null) {
            store.delete(key);
        }
    }

    List<Event> of(String key) {
        Events e = store.get(key);
        return e == null ? List.of() : e.events();
    }

    private void add(String key, Event e, boolean sameAttemptReplaces) {
        Events current = store.get(key);
        List<Event> list = new ArrayList<>(current == null ? List.of() : current.events());
        if (sameAttemptReplaces) {
            for (int i = 0; i < list.size(); i++) {
                Event x = list.get(i);
                if ("attempt".equals(x.type()) && x.id().equals(e.id())) {
                    if (x.equals(e)) {
                        return; // redelivered
                    }
                    list.remove(i);
                    break;
                }
            }
        }
        int pos = list.size();
        while (pos > 0 && list.get(pos - 1).at() > e.at()) {
            pos--; // attempts can arrive out of order; keep time order
        }
        list.add(pos, e);
        while (list.size() > MAX_EVENTS) {
            list.remove(0);
        }
        store.put(key, new Events(List.copyOf(list)));
    }

    private static String text(String s) {
        return s == null ? null : Alerts.abbreviate(s, MAX_TEXT);
    }
}
