package dev.certflow.sink.delivery;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.sink.SinkConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * "The owner's channels": each team's contacts in {@code owners.teams[]} become channels of their
 * own, {@code owner-<team>-pagerduty}, {@code -slack} and {@code -webhook}, each routed to the alerts
 * that team owns (the default owner's also take the unowned ones), under the severity policy
 * {@code sink.notify}: PagerDuty takes the paging severities, Slack and the webhook the immediate ones.
 * As channels they get everything a configured channel has: retries, the delivery log, the
 * dead-letter topic and once-per-channel delivery. {@link #contacts} builds the same channels for an
 * escalation target and the digests.
 */
public final class OwnerChannels {
    private OwnerChannels() {
    }

    /** The owners' channels for this configuration (none with {@code sink.ownerChannels: false}). */
    public static List<ChannelConfig> of(SinkConfig sink) {
        List<ChannelConfig> out = new ArrayList<>();
        if (!sink.ownerChannels) {
            return out;
        }
        OwnersConfig owners = sink.owners();
        for (int i = 0; i < owners.teams.size(); i++) {
            OwnersConfig.Team team = owners.teams.get(i);
            List<String> owned = new ArrayList<>(List.of(team.name));
            if (team.name.equals(owners.defaultOwner)) {
                owned.add(Route.UNOWNED);
            }
            for (ChannelConfig c : contacts("owner-" + team.name, team, "owners.teams[" + i + "].", sink)) {
                Route r = new Route();
                r.owners = new ArrayList<>(owned);
                r.severities = new ArrayList<>(c.type() == ChannelConfig.Type.PAGERDUTY ? sink.notify.paging : sink.notify.immediate);
                c.routes.add(r);
                out.add(c);
            }
        }
        return out;
    }

    /**
     * The channels of one set of contacts, named {@code <name>-pagerduty}, {@code -slack} and
     * {@code -webhook}, without routes, checked as any channel ({@code keyPrefix} names where the
     * contacts are configured) and under {@code sink.ownerNetworks}.
     */
    public static List<ChannelConfig> contacts(String name, OwnersConfig.Contacts contacts, String keyPrefix, SinkConfig sink) {
        List<ChannelConfig> out = new ArrayList<>();
        if (contacts.pagerDutyRoutingKey != null) {
            ChannelConfig c = channel(name, "pagerduty", sink);
            c.routingKey = contacts.pagerDutyRoutingKey;
            out.add(c);
        }
        if (contacts.slackWebhook != null) {
            ChannelConfig c = channel(name, "slack", sink);
            c.webhookUrl = contacts.slackWebhook;
            out.add(c);
        }
        if (contacts.webhook != null) {
            if (contacts.webhook.secret == null) {
                throw new ConfigException("missing required configuration key '" + keyPrefix + "webhook.secret' "
                        + "(the sink signs the webhook bodies with it, HMAC-SHA256)");
            }
            ChannelConfig c = channel(name, "webhook", sink);
            c.url = contacts.webhook.url;
            c.secret = contacts.webhook.secret;
            out.add(c);
        }
        for (ChannelConfig c : out) {
            c.validate(keyPrefix, null); // the URL checks of any channel; messages name the channel <name>-<type>
        }
        return out;
    }

    private static ChannelConfig channel(String name, String type, SinkConfig sink) {
        ChannelConfig c = new ChannelConfig();
        c.name = name + "-" + type;
        c.type = type;
        c.allowPrivateNetworks = sink.ownerNetworks.allowPrivateNetworks;
        c.allowedNetworks = new ArrayList<>(sink.ownerNetworks.allowedNetworks);
        return c;
    }
}
