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
 * dead-letter topic and once-per-channel delivery.
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
            int first = out.size();
            List<String> owned = new ArrayList<>(List.of(team.name));
            if (team.name.equals(owners.defaultOwner)) {
                owned.add(Route.UNOWNED);
            }
            if (team.pagerDutyRoutingKey != null) {
                ChannelConfig c = channel(team, "pagerduty", owned, sink.notify.paging);
                c.routingKey = team.pagerDutyRoutingKey;
                out.add(c);
            }
            if (team.slackWebhook != null) {
                ChannelConfig c = channel(team, "slack", owned, sink.notify.immediate);
                c.webhookUrl = team.slackWebhook;
                out.add(c);
            }
            if (team.webhook != null) {
                if (team.webhook.secret == null) {
                    throw new ConfigException("missing required configuration key 'owners.teams[" + i + "].webhook.secret' "
                            + "(the sink signs the owner's webhook bodies with it, HMAC-SHA256)");
                }
                ChannelConfig c = channel(team, "webhook", owned, sink.notify.immediate);
                c.url = team.webhook.url;
                c.secret = team.webhook.secret;
                out.add(c);
            }
            for (ChannelConfig c : out.subList(first, out.size())) {
                c.validate("owners.teams[" + i + "].", null); // the URL checks of any channel; messages name the channel owner-<team>-<type>
            }
        }
        return out;
    }

    private static ChannelConfig channel(OwnersConfig.Team team, String type, List<String> owned, List<String> severities) {
        ChannelConfig c = new ChannelConfig();
        c.name = "owner-" + team.name + "-" + type;
        c.type = type;
        Route r = new Route();
        r.owners = new ArrayList<>(owned);
        r.severities = new ArrayList<>(severities);
        c.routes.add(r);
        return c;
    }
}
