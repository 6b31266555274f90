package org.cil4j.train;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The loss of one batch as named terms (each is logged), and optionally the logits that the
 * training accuracy is read from.
 */
public final class StepLoss {
    private final Map<String, NDArray> terms = new LinkedHashMap<>();
    private NDArray logits;

    /**
     * Adds a named, already weighted term.
     *
     * @param name e.g. "ce", "kd_old"
     * @param value a scalar
     * @return this
     */
    public StepLoss add(String name, NDArray value) {
        if (terms.putIfAbsent(name, value) != null) {
            throw new IllegalArgumentException("loss term " + name + " added twice");
        }
        return this;
    }

    /**
     * Sets the logits whose arg-max, against the batch labels, is the training accuracy.
     *
     * @param logits (batch, classes) in incremental class order
     * @return this
     */
    public StepLoss accuracyFrom(NDArray logits) {
        this.logits = logits;
        return this;
    }

    /** @return the terms by name */
    public Map<String, NDArray> terms() {
        return terms;
    }

    /** @return the logits for training accuracy, or null */
    public NDArray logits() {
        return logits;
    }

    /** @return the sum of all terms */
    public NDArray total() {
        if (terms.isEmpty()) {
            throw new IllegalStateException("a step needs at least one loss term");
        }
        NDArray sum = null;
        for (NDArray t : terms.values()) {
            sum = sum == null ? t : sum.add(t);
        }
        return sum;
    }
}
