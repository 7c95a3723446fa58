package dev.certflow.runtime.config;

/** A configuration section that checks itself after binding (required keys, ranges, cross-field rules). */
public interface Validated {
    /**
     * @param prefix the dotted path of this section followed by a dot ({@code ""} at the root), to name keys in errors
     * @param tree   the whole configuration, for {@link ConfigTree#from} origins
     * @throws ConfigException naming the key and value that are wrong
     */
    void validate(String prefix, ConfigTree tree);
}
