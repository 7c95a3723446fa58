package dev.certflow.sink.digest;

import dev.certflow.runtime.config.Secret;
import dev.certflow.sink.SinkConfig;
import jakarta.mail.Authenticator;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Properties;

/**
 * Mails digests through the configured SMTP server ({@code sink.smtp}) with Jakarta Mail (Eclipse
 * Angus Mail). The Message-ID is derived from the digest id ({@code <digest-id@domain of from>}),
 * so a digest mailed again after a crash is recognisably the same message. Errors are reported by
 * class and the server's reply only: the password never appears (it is scrubbed if a server echoes it).
 */
public final class MailSender {
    private final SinkConfig.Smtp smtp;
    private final Session session;
    private final String domain;

    public MailSender(SinkConfig.Smtp smtp) {
        this.smtp = smtp;
        Properties p = new Properties();
        String proto = smtp.ssl ? "smtps" : "smtp";
        p.put("mail.transport.protocol", proto);
        p.put("mail." + proto + ".host", smtp.host);
        p.put("mail." + proto + ".port", Integer.toString(smtp.port));
        p.put("mail." + proto + ".auth", Boolean.toString(smtp.username != null));
        p.put("mail." + proto + ".connectiontimeout", Long.toString(smtp.timeout.toMillis()));
        p.put("mail." + proto + ".timeout", Long.toString(smtp.timeout.toMillis()));
        p.put("mail." + proto + ".writetimeout", Long.toString(smtp.timeout.toMillis()));
        if (!smtp.ssl && smtp.startTls) {
            p.put("mail.smtp.starttls.enable", "true");
            p.put("mail.smtp.starttls.required", "true");
        }
        if (smtp.ssl || smtp.startTls) {
            p.put("mail." + proto + ".ssl.checkserveridentity", "true");
        }
        Secret password = smtp.password;
        this.session = Session.getInstance(p, smtp.username == null ? null : new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return new PasswordAuthentication(smtp.username, password == null ? "" : password.reveal());
            }
        });
        String from = smtp.from == null ? "certflow@localhost" : smtp.from;
        this.domain = from.contains("@") ? from.substring(from.indexOf('@') + 1).replace(">", "").trim() : "certflow.invalid";
    }

    /** The Message-ID of a digest. */
    public String messageId(String digestId) {
        return "<digest-" + digestId + "@" + domain + ">";
    }

    /**
     * Sends one message; returns null when the server accepted it, else the reason (no secret in it).
     */
    public String send(List<String> to, String subject, String text, String digestId, Instant date) {
        try {
            MimeMessage m = new MimeMessage(session) {
                @Override
                protected void updateMessageID() throws MessagingException {
                    setHeader("Message-ID", messageId(digestId));
                }
            };
            m.setFrom(new InternetAddress(smtp.from, true));
            InternetAddress[] rcpt = new InternetAddress[to.size()];
            for (int i = 0; i < to.size(); i++) {
                rcpt[i] = new InternetAddress(to.get(i), true);
            }
            m.setRecipients(Message.RecipientType.TO, rcpt);
            m.setSubject(subject, StandardCharsets.UTF_8.name());
            m.setText(text, StandardCharsets.UTF_8.name());
            m.setSentDate(Date.from(date));
            m.setHeader("X-Certflow-Digest-Id", digestId);
            Transport.send(m);
            return null;
        } catch (AddressException e) {
            return "bad address: " + e.getMessage();
        } catch (MessagingException e) {
            return scrub(e.getClass().getSimpleName() + ": " + firstMessage(e));
        }
    }

    private static String firstMessage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                String m = t.getMessage().strip();
                return m.length() > 200 ? m.substring(0, 200) + "..." : m;
            }
        }
        return "no message";
    }

    private String scrub(String text) {
        if (smtp.password != null && !smtp.password.reveal().isEmpty()) {
            return text.replace(smtp.password.reveal(), Secret.MASK);
        }
        return text;
    }
}
