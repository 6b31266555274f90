package org.cil4j.serve.app;

/**
 * A request the service refuses, with the HTTP status and the field that was wrong; the HTTP
 * layer turns it into a JSON error.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String field;

    /**
     * @param status HTTP status
     * @param field the request field at fault, or null
     * @param message what was wrong and how to fix it
     */
    public ApiException(int status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field;
    }

    /** @return HTTP status */
    public int status() {
        return status;
    }

    /** @return the field at fault, or null */
    public String field() {
        return field;
    }

    static ApiException bad(String field, String message) {
        return new ApiException(400, field, message);
    }

    static ApiException notFound(String what) {
        return new ApiException(404, null, what);
    }

    static ApiException conflict(String message) {
        return new ApiException(409, null, message);
    }
}
