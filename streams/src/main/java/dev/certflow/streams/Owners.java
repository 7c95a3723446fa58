package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.runtime.owners.OwnerRules;

import java.util.ArrayList;
import java.util.List;

/** A certificate's (or a source's) owner under the owners rules; null = unowned. */
final class Owners {
    private Owners() {
    }

    static String of(OwnerRules rules, CertificateKey key, Certificate c) {
        List<String> names = new ArrayList<>();
        if (c != null) {
            names.add(c.getCommonName());
            names.add(c.getName());
            names.addAll(c.getSans());
        }
        return rules.ownerOf(key.getSourceKind().name(), key.getSourceName(), key.getTenant(), names);
    }

    /** A certificate alert's owner from its key and snapshot; SOURCE_DOWN's from the source rules alone. */
    static String of(OwnerRules rules, Alert a) {
        if (a.getCertificateKey() != null) {
            return of(rules, a.getCertificateKey(), a.getCertificate());
        }
        return rules.ownerOfSource(a.getSourceKind() == null ? null : a.getSourceKind().name(), a.getSourceName());
    }
}
