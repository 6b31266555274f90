package org.cil4j.loss;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * Softmax cross-entropy on class indices, the classification term of every method.
 *
 * <p>The loss of a sample is {@code -log softmax(logits)[label]}, computed with a log-softmax
 * for numerical stability; the result is the mean over the batch.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /**
     * Mean softmax cross-entropy of a batch.
     *
     * @param logits unnormalized scores, shape (batch, classes), floating point
     * @param labels class indices in [0, classes), int32 or int64, shape (batch)
     * @return a scalar: the mean over the batch of {@code -log softmax(logits)[label]}
     * @throws IllegalArgumentException if the shapes disagree or a label is out of range
     */
    public static NDArray loss(NDArray logits, NDArray labels) {
        Checks.matrix(logits, "logits");
        NDArray index = Checks.labels(
                labels, logits.getShape().get(0), logits.getShape().get(1));
        return logits.logSoftmax(1).gather(index, 1).neg().mean();
    }

    /**
     * Mean softmax cross-entropy of a batch after adding a mask to the logits.
     *
     * <p>The mask restricts the softmax of each sample to some classes: it holds 0 for the
     * classes that take part and a large negative number (for example {@code -1e9}) for the
     * others. In the multi-task setting it selects each sample's own task head, so the loss is
     * the cross-entropy within that task. A sample's label must lie among its unmasked classes;
     * otherwise its loss is huge.
     *
     * @param logits unnormalized scores, shape (batch, classes), floating point
     * @param labels class indices in [0, classes), int32 or int64, shape (batch)
     * @param mask additive mask with the shape of {@code logits}, 0 or a large negative number
     * @return a scalar: the mean over the batch of {@code -log softmax(logits + mask)[label]}
     * @throws IllegalArgumentException if the shapes disagree or a label is out of range
     */
    public static NDArray loss(NDArray logits, NDArray labels, NDArray mask) {
        Objects.requireNonNull(mask, "mask");
        Checks.sameShape(logits, "logits", mask, "mask");
        return loss(logits.add(mask.stopGradient()), labels);
    }

    /**
     * Mean softmax cross-entropy over the classes from {@code first} on only: the classification
     * term of LwF in the multi-class setting, whose images all belong to the new classes (FACIL
     * {@code lwf.py}: {@code cross_entropy(outputs[t], targets - task_offset[t])}; PyCIL {@code
     * lwf.py}: {@code cross_entropy(logits[:, known:], targets - known)}).
     *
     * @param logits unnormalized scores, shape (batch, classes), floating point
     * @param labels class indices in [first, classes), int32 or int64, shape (batch)
     * @param first the first class the softmax covers, in [0, classes)
     * @return a scalar: the mean over the batch of {@code -log softmax(logits[:, first:])[label -
     *     first]}
     * @throws IllegalArgumentException if the shapes disagree, {@code first} is out of range or a
     *     label lies below {@code first}
     */
    public static NDArray from(NDArray logits, NDArray labels, int first) {
        Checks.matrix(logits, "logits");
        long classes = logits.getShape().get(1);
        if (first < 0 || first >= classes) {
            throw new IllegalArgumentException("first must be in [0, " + classes + "), got " + first);
        }
        NDArray tail = first == 0 ? logits : logits.get(":, " + first + ":");
        return loss(tail, first == 0 ? labels : labels.sub(first));
    }
}
