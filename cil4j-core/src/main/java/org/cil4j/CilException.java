package org.cil4j;

/**
 * An error a user can act on: bad input, an impossible setting, a missing or corrupt file.
 *
 * <p>The message names the file or option at fault. The command line prints the message
 * (without a stack trace) and exits with status 2.
 */
public class CilException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an error with a message for the user.
     *
     * @param message what is wrong and, where it helps, what to do about it
     */
    public CilException(String message) {
        super(message);
    }

    /**
     * Creates an error with a message for the user and the low-level cause.
     *
     * @param message what is wrong and, where it helps, what to do about it
     * @param cause the underlying exception
     */
    public CilException(String message, Throwable cause) {
        super(message, cause);
    }
}
