package dev.certflow.runtime.service;

import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.ConfigTree;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The options every command shares ({@code @Mixin} it): {@code --config FILE} (or
 * {@code CERTFLOW_CONFIG}) and repeatable {@code --set key=value} overrides.
 */
public class ConfigOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file (default: $CERTFLOW_CONFIG)")
    public Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one configuration key, for example --set ops.port=9090 (repeatable)")
    public List<String> sets = new ArrayList<>();

    /** Loads defaults, file, environment and flags. */
    public ConfigTree load() {
        return load(System.getenv());
    }

    public ConfigTree load(Map<String, String> env) {
        Path file = config;
        if (file == null && env.get("CERTFLOW_CONFIG") != null) {
            file = Path.of(env.get("CERTFLOW_CONFIG"));
        }
        if (file != null && !Files.isRegularFile(file)) {
            throw new dev.certflow.runtime.config.ConfigException("configuration file " + file + " does not exist");
        }
        return ConfigLoader.load(file, env, sets);
    }
}
