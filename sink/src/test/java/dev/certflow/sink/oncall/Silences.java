package dev.certflow.sink.oncall;

import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Silence;
import dev.certflow.events.SilenceMatchOp;
import dev.certflow.events.SilenceMatcher;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Test silences and an in-memory {@link OnCallState}. */
public final class Silences implements OnCallState {
    private final Map<String, SilenceRules> silences = new ConcurrentHashMap<>();
    private final Map<String, Acknowledgement> acks = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Acknowledgement> fresh = new ConcurrentLinkedQueue<>();

    /** {@code name=value}, {@code name!=value}, {@code name=~re}, {@code name!~re}. */
    public static SilenceMatcher matcher(String spec) {
        String[] ops = {"!~", "=~", "!=", "="};
        SilenceMatchOp[] kinds = {SilenceMatchOp.NOT_REGEX, SilenceMatchOp.REGEX, SilenceMatchOp.NOT_EQUAL, SilenceMatchOp.EQUAL};
        for (int i = 0; i < ops.length; i++) {
            int at = spec.indexOf(ops[i]);
            if (at > 0) {
                return SilenceMatcher.newBuilder().setName(spec.substring(0, at)).setValue(spec.substring(at + ops[i].length())).setOp(kinds[i]).build();
            }
        }
        throw new IllegalArgumentException(spec);
    }

    public static Silence silence(String id, Instant start, Instant end, String... matchers) {
        List<SilenceMatcher> ms = new ArrayList<>();
        for (String m : matchers) {
            ms.add(matcher(m));
        }
        return Silence.newBuilder().setSilenceId(id).setMatchers(ms).setStartsAt(start).setEndsAt(end).setCreatedBy("ops@example.com")
                .setComment("maintenance").setCreatedAt(start).setUpdatedAt(start).build();
    }

    public static Acknowledgement ack(String incident, String alertId, Instant at) {
        return Acknowledgement.newBuilder().setIncidentId(incident).setAlertId(alertId).setAcknowledgedBy("alice").setAcknowledgedAt(at)
                .setComment("on it").build();
    }

    public Silences put(Silence s) {
        silences.put(s.getSilenceId(), SilenceRules.of(s));
        return this;
    }

    public Silences put(Acknowledgement a) {
        acks.put(a.getIncidentId(), a);
        fresh.add(a);
        return this;
    }

    @Override
    public Collection<SilenceRules> silences() {
        return silences.values();
    }

    @Override
    public Acknowledgement acknowledgement(String incidentId) {
        return acks.get(incidentId);
    }

    @Override
    public List<Acknowledgement> drainNewAcknowledgements() {
        List<Acknowledgement> out = new ArrayList<>();
        for (Acknowledgement a; (a = fresh.poll()) != null; ) {
            out.add(a);
        }
        return out;
    }
}
