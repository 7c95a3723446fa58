package dev.certflow.runtime.kafka;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Creates the declared topics that are missing and checks the ones that exist: a topic with the
 * wrong cleanup policy is an error at start, not a silent surprise (a compacted table on a
 * delete topic loses rows; an event log on a compacted topic loses events).
 */
public final class TopicManager {
    private static final Logger LOG = LoggerFactory.getLogger(TopicManager.class);

    private final KafkaSettings kafka;

    public TopicManager(KafkaSettings kafka) {
        this.kafka = kafka;
    }

    /** What {@link #ensure} found for one topic. */
    public record TopicState(String name, TopicSpec spec, boolean created, int partitions, String cleanupPolicy) {
    }

    /** Creates missing topics (when allowed) and verifies all; throws {@link IllegalStateException} naming every mismatch. */
    public List<TopicState> ensure(Collection<TopicSpec> specs) {
        try (Admin admin = Admin.create(kafka.admin("certflow-topics"))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> toCreate = new ArrayList<>();
            for (TopicSpec spec : specs) {
                String name = spec.name(kafka.topicPrefix);
                if (!existing.contains(name)) {
                    if (!kafka.createTopics) {
                        throw new IllegalStateException("topic " + name + " does not exist and kafka.createTopics is false");
                    }
                    int partitions = kafka.partitions > 0 ? kafka.partitions : spec.partitions();
                    toCreate.add(new NewTopic(name, Optional.of(partitions), Optional.of(kafka.replicationFactor)).configs(spec.configs()));
                }
            }
            List<String> created = new ArrayList<>();
            for (NewTopic topic : toCreate) {
                try {
                    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                    created.add(topic.name());
                    LOG.info("Created topic {} ({} partitions, {})", topic.name(), topic.numPartitions(), topic.configs());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e; // another instance creating it at the same time is fine
                    }
                }
            }
            // a topic just created may not be in every metadata cache yet: retry the check briefly
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    return verify(admin, specs, created);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while ensuring topics", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot create or check topics: " + KafkaErrors.describe(e, kafka), e);
        }
    }

    private List<TopicState> verify(Admin admin, Collection<TopicSpec> specs, List<String> created)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        Map<String, TopicSpec> byName = specs.stream().collect(Collectors.toMap(s -> s.name(kafka.topicPrefix), s -> s));
        Map<String, TopicDescription> descriptions = admin.describeTopics(byName.keySet()).allTopicNames().get(30, TimeUnit.SECONDS);
        List<ConfigResource> resources = byName.keySet().stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
        List<String> problems = new ArrayList<>();
        List<TopicState> states = new ArrayList<>();
        for (Map.Entry<String, TopicSpec> e : byName.entrySet()) {
            String name = e.getKey();
            TopicSpec spec = e.getValue();
            Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name));
            String policy = config.get("cleanup.policy") == null ? "delete" : config.get("cleanup.policy").value();
            Set<String> policies = Set.of(policy.replace(" ", "").split(","));
            if (!policies.contains(spec.cleanup().policy())) {
                problems.add("topic " + name + " has cleanup.policy=" + policy + " but certflow needs " + spec.cleanup().policy());
            }
            states.add(new TopicState(name, spec, created.contains(name), descriptions.get(name).partitions().size(), policy));
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems) + " (fix the topic or use another kafka.topicPrefix)");
        }
        return states;
    }
}
