package dev.certflow.streams;

import dev.certflow.runtime.config.KafkaSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.streams.TopologyDescription;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Checks, before Kafka Streams starts, that the topics one sub-topology reads together have the
 * same partition count. Kafka Streams enforces this only for DSL joins; with the Processor API a
 * sub-topology whose processors share stores (here {@code certificates} and {@code renewal-attempts})
 * would silently get tasks that see one topic's partition 3 with the other's partition 3 even when
 * the same key lands in different partitions of the two, so a certificate's attempts would never
 * meet its state. The groups come from the topology itself, so a new input read together is covered.
 */
final class CoPartitioning {
    private CoPartitioning() {
    }

    /** One sub-topology's source topics and the processors reading them. */
    record Group(int subtopology, Set<String> topics, Set<String> processors) {
    }

    /** The sub-topologies that read more than one topic. */
    static List<Group> groups(TopologyDescription description) {
        List<Group> groups = new ArrayList<>();
        for (TopologyDescription.Subtopology sub : description.subtopologies()) {
            Set<String> topics = new TreeSet<>();
            Set<String> processors = new TreeSet<>();
            for (TopologyDescription.Node node : sub.nodes()) {
                if (node instanceof TopologyDescription.Source source) {
                    if (source.topicSet() == null) {
                        throw new IllegalStateException("source " + source.name() + " reads a topic pattern; co-partitioning cannot be checked");
                    }
                    topics.addAll(source.topicSet());
                } else if (node instanceof TopologyDescription.Processor) {
                    processors.add(node.name());
                }
            }
            if (topics.size() > 1) {
                groups.add(new Group(sub.id(), topics, processors));
            }
        }
        return groups;
    }

    /**
     * Throws {@link IllegalStateException} naming the topics and their partition counts when a group's
     * existing topics differ. Missing topics are skipped: there is nothing to mis-join yet, and
     * Kafka Streams reports a missing source topic itself.
     */
    static void check(KafkaSettings kafka, TopologyDescription description) {
        List<Group> groups = groups(description);
        if (groups.isEmpty()) {
            return;
        }
        Set<String> wanted = groups.stream().flatMap(g -> g.topics().stream()).collect(Collectors.toSet());
        Map<String, Integer> partitions;
        try (Admin admin = Admin.create(kafka.admin("certflow-streams-copartitioning"))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            Set<String> present = wanted.stream().filter(existing::contains).collect(Collectors.toSet());
            Map<String, TopicDescription> d = admin.describeTopics(present).allTopicNames().get(30, TimeUnit.SECONDS);
            partitions = d.values().stream().collect(Collectors.toMap(TopicDescription::name, t -> t.partitions().size()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking co-partitioning", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot check the partition counts of " + new TreeSet<>(wanted) + " on "
                    + kafka.bootstrapServers + ": " + e.getMessage(), e);
        }
        List<String> problems = problems(groups, partitions);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
    }

    /** The mismatches in {@code groups} given each existing topic's partition count. */
    static List<String> problems(List<Group> groups, Map<String, Integer> partitions) {
        List<String> problems = new ArrayList<>();
        for (Group g : groups) {
            List<String> present = g.topics().stream().filter(partitions::containsKey).toList();
            if (present.stream().map(partitions::get).distinct().count() > 1) {
                String counts = present.stream().map(t -> t + " (" + partitions.get(t) + " partitions)").collect(Collectors.joining(" and "));
                problems.add("topics " + counts + " are read together by key (processors " + String.join(", ", g.processors())
                        + " share state stores) and must have the same number of partitions, or a certificate's records"
                        + " would be processed apart; recreate them with one partition count");
            }
        }
        return problems;
    }
}
