package dev.certflow.schemas.registry;

/**
 * An error answered by a schema registry, with the registry's own error code
 * (40401 subject not found, 40402 version not found, 40403 schema not found, 40404 to 40407 soft-delete
 * states, 40408 no subject-level compatibility, 409 incompatible, 42201 invalid schema, 42202 invalid
 * version, 42203 invalid compatibility level, 5xxxx server errors) and the HTTP status it came with.
 */
public class SchemaRegistryException extends RuntimeException {
    public static final int SUBJECT_NOT_FOUND = 40401;
    public static final int VERSION_NOT_FOUND = 40402;
    public static final int SCHEMA_NOT_FOUND = 40403;
    public static final int SUBJECT_SOFT_DELETED = 40404;
    public static final int SUBJECT_NOT_SOFT_DELETED = 40405;
    public static final int VERSION_SOFT_DELETED = 40406;
    public static final int VERSION_NOT_SOFT_DELETED = 40407;
    public static final int SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408;
    public static final int INCOMPATIBLE = 409;
    public static final int INVALID_SCHEMA = 42201;
    public static final int INVALID_VERSION = 42202;
    public static final int INVALID_COMPATIBILITY = 42203;
    public static final int STORE_ERROR = 50001;

    private final int httpStatus;
    private final int errorCode;

    public SchemaRegistryException(int httpStatus, int errorCode, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(String message, Throwable cause) {
        super(message, cause);
        this.httpStatus = 0;
        this.errorCode = 0;
    }

    /**
     * Whether {@code e} or one of its causes says the registry could not answer (unreachable: no HTTP
     * status; or a 5xx): the record may be fine, so readers retry it instead of dead-lettering it.
     */
    public static boolean unavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SchemaRegistryException r && (r.httpStatus == 0 || r.httpStatus >= 500)) {
                return true;
            }
        }
        return false;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int errorCode() {
        return errorCode;
    }
}
