package org.cil4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;

/**
 * The training loss of iCaRL (Rebuffi et al., iCaRL: Incremental Classifier and
 * Representation Learning, CVPR 2017, Algorithm 3): binary cross-entropy on the sigmoid of
 * every class's logit, with distillation targets {@code sigmoid(teacher)} for the old classes
 * and one-hot classification targets for the new ones.
 *
 * <p>The element loss is computed in the stable softplus form {@code max(x, 0) - x y + log(1 +
 * exp(-|x|))}, as PyTorch's {@code binary_cross_entropy_with_logits} does, and averaged over
 * all {@code batch * classes} elements.
 */
public final class IcarlLoss {
    private IcarlLoss() {}

    /**
     * The iCaRL loss of a batch.
     *
     * <p>Old classes are the indices {@code [0, numOld)}, new ones {@code [numOld, classes)}.
     * Samples of old classes (exemplars) get all-zero targets on the new classes and the
     * teacher's targets on the old ones.
     *
     * @param logits the student's logits, shape (batch, classes)
     * @param teacherLogits the previous model's logits, shape (batch, numOld), treated as
     *     constants; may be {@code null} when {@code numOld == 0}
     * @param labels class indices in [0, classes), int32 or int64, shape (batch)
     * @param numOld the number of old classes, in [0, classes]
     * @return a scalar: the mean over all elements of the binary cross-entropy with logits
     * @throws IllegalArgumentException if the shapes disagree or an argument is out of range
     */
    public static NDArray loss(NDArray logits, NDArray teacherLogits, NDArray labels, int numOld) {
        Checks.matrix(logits, "logits");
        long batch = logits.getShape().get(0);
        long classes = logits.getShape().get(1);
        if (numOld < 0 || numOld > classes) {
            throw new IllegalArgumentException(
                    "numOld must be in [0, " + classes + "], got " + numOld);
        }
        NDArray index = Checks.labels(labels, batch, classes);
        DataType type = logits.getDataType();
        NDArray classIds = logits.getManager().arange(0, (int) classes, 1, DataType.INT64);
        NDArray targets = index.eq(classIds.reshape(1, classes)).toType(type, false);
        if (numOld > 0) {
            if (teacherLogits == null) {
                throw new IllegalArgumentException("teacherLogits are required when numOld > 0");
            }
            Checks.matrix(teacherLogits, "teacherLogits");
            if (teacherLogits.getShape().get(0) != batch
                    || teacherLogits.getShape().get(1) != numOld) {
                throw new IllegalArgumentException(
                        "teacherLogits must have shape ("
                                + batch
                                + ", "
                                + numOld
                                + "), got "
                                + teacherLogits.getShape());
            }
            NDArray oldTargets = Activation.sigmoid(teacherLogits.stopGradient()).toType(type, false);
            targets =
                    numOld == classes
                            ? oldTargets
                            : oldTargets.concat(targets.get(":, " + numOld + ":"), 1);
        } else if (teacherLogits != null && teacherLogits.getShape().get(1) != 0) {
            throw new IllegalArgumentException(
                    "teacherLogits must be null or empty when numOld == 0, got shape "
                            + teacherLogits.getShape());
        }
        NDArray softplus = logits.abs().neg().exp().add(1f).log();
        return logits.maximum(0f).sub(logits.mul(targets)).add(softplus).mean();
    }
}
