package dev.certflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code certflow silence add|list|expire}: silences through the streams query API. */
@Command(name = "silence", mixinStandardHelpOptions = true, description = "Add, list and expire silences (through the streams query API).",
        subcommands = {SilenceCommand.Add.class, SilenceCommand.ListSilences.class, SilenceCommand.Expire.class})
public final class SilenceCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    private static final Pattern MATCHER = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)(.*)$");

    /** {@code name=value}, {@code name!=value}, {@code name=~regex}, {@code name!~regex} as the API's matcher. */
    static ObjectNode matcher(String text) {
        Matcher m = MATCHER.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("bad --matcher '" + text + "': write name=value, name!=value, name=~regex or name!~regex (for example kind=EXPIRING)");
        }
        String op = switch (m.group(2)) {
            case "=" -> "EQUAL";
            case "!=" -> "NOT_EQUAL";
            case "=~" -> "REGEX";
            default -> "NOT_REGEX";
        };
        return ApiClient.JSON.createObjectNode().put("name", m.group(1)).put("value", m.group(3)).put("op", op);
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Silence the alerts every matcher matches, from now (or --starts) for --duration (or until --ends).")
    static final class Add implements Callable<Integer> {
        @Mixin
        ApiClient client = new ApiClient();
        @Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--matcher", required = true, description = "name=value, name!=value, name=~regex or name!~regex over kind, severity, owner, tenant, source, source_kind, certificate_key, incident or any alert label; repeatable, all must match.")
        List<String> matchers;
        @Option(names = "--duration", description = "How long, for example 2h or 30m.")
        String duration;
        @Option(names = "--starts", description = "Start as an ISO-8601 UTC instant (default now).")
        String starts;
        @Option(names = "--ends", description = "End as an ISO-8601 UTC instant, instead of --duration.")
        String ends;
        @Option(names = "--author", description = "Who adds it (default: the user name).")
        String author = System.getProperty("user.name");
        @Option(names = "--comment", description = "Why.")
        String comment = "";

        @Override
        public Integer call() throws Exception {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            ArrayNode ms = body.putArray("matchers");
            try {
                matchers.forEach(m -> ms.add(matcher(m)));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            if (duration != null) {
                body.put("duration", duration);
            }
            if (starts != null) {
                body.put("startsAt", starts);
            }
            if (ends != null) {
                body.put("endsAt", ends);
            }
            body.put("createdBy", author);
            body.put("comment", comment);
            JsonNode s = client.send("POST", "/v1/silences", body);
            spec.commandLine().getOut().println(s.path("silenceId").asText());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List silences: id, state, start, end, author, matchers, comment.")
    static final class ListSilences implements Callable<Integer> {
        @Mixin
        ApiClient client = new ApiClient();
        @Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--active", description = "Only the silences in force now.")
        boolean active;

        @Override
        public Integer call() throws Exception {
            JsonNode list = client.send("GET", "/v1/silences" + (active ? "?active=true" : ""), null);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-36s  %-8s  %-24s  %-24s  %-12s  %s%n", "ID", "STATE", "STARTS", "ENDS", "AUTHOR", "MATCHERS / COMMENT");
            for (JsonNode s : list.path("items")) {
                StringBuilder m = new StringBuilder();
                for (JsonNode x : s.path("matchers")) {
                    if (m.length() > 0) {
                        m.append(',');
                    }
                    String op = switch (x.path("op").asText()) {
                        case "NOT_EQUAL" -> "!=";
                        case "REGEX" -> "=~";
                        case "NOT_REGEX" -> "!~";
                        default -> "=";
                    };
                    m.append(x.path("name").asText()).append(op).append(x.path("value").asText());
                }
                out.printf("%-36s  %-8s  %-24s  %-24s  %-12s  %s%s%n", s.path("silenceId").asText(), s.path("state").asText(),
                        s.path("startsAt").asText(), s.path("endsAt").asText(), s.path("createdBy").asText(), m,
                        s.path("comment").asText().isEmpty() ? "" : "  # " + s.path("comment").asText());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "expire", mixinStandardHelpOptions = true, description = "End a silence now (it stays listed as expired).")
    static final class Expire implements Callable<Integer> {
        @Mixin
        ApiClient client = new ApiClient();
        @Spec
        CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() throws Exception {
            JsonNode s = client.send("DELETE", "/v1/silences/" + URLEncoder.encode(id, StandardCharsets.UTF_8), null);
            spec.commandLine().getOut().println("expired " + s.path("silenceId").asText() + " at " + s.path("endsAt").asText());
            return 0;
        }
    }
}
