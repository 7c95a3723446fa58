package dev.certflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code certflow ack ALERT_ID}: acknowledges the alert's incident (every step of it) through the streams query API. */
@Command(name = "ack", mixinStandardHelpOptions = true, description = "Acknowledge a firing alert: its incident (every step) is not re-sent or escalated.")
public final class AckCommand implements Callable<Integer> {
    @Mixin
    ApiClient client = new ApiClient();
    @Spec
    CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "ALERT_ID")
    String alertId;
    @Option(names = "--author", description = "Who acknowledges (default: the user name).")
    String author = System.getProperty("user.name");
    @Option(names = "--comment", description = "A note, for example what is being done.")
    String comment = "";

    @Override
    public Integer call() throws Exception {
        ObjectNode body = ApiClient.JSON.createObjectNode().put("acknowledgedBy", author).put("comment", comment);
        JsonNode ack = client.send("POST", "/v1/alerts/" + URLEncoder.encode(alertId, StandardCharsets.UTF_8) + "/ack", body);
        spec.commandLine().getOut().println("acknowledged incident " + ack.path("incidentId").asText() + " (alert " + ack.path("alertId").asText() + ")");
        return 0;
    }
}
