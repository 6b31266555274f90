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
 *
 * <p>{@link #sigmoidDistillation} is the distillation term alone, reduced as FACIL's iCaRL
 * reduces it, where it is added to a softmax cross-entropy instead.
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
            throw new IllegalArgumentException("numOld must be in [0, " + classes + "], got " + numOld);
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
                throw new IllegalArgumentException("teacherLogits must have shape ("
                        + batch
                        + ", "
                        + numOld
                        + "), got "
                        + teacherLogits.getShape());
            }
            NDArray oldTargets =
                    Activation.sigmoid(teacherLogits.stopGradient()).toType(type, false);
            targets = numOld == classes ? oldTargets : oldTargets.concat(targets.get(":, " + numOld + ":"), 1);
        } else if (teacherLogits != null && teacherLogits.getShape().get(1) != 0) {
            throw new IllegalArgumentException(
                    "teacherLogits must be null or empty when numOld == 0, got shape " + teacherLogits.getShape());
        }
        return bceWithLogits(logits, targets).mean();
    }

    /**
     * The distillation term of FACIL's iCaRL ({@code src/approach/icarl.py}, {@code criterion}):
     * for each old class {@code y}, the batch mean of the binary cross-entropy between the
     * student's and the teacher's sigmoid outputs, summed over the old classes:
     *
     * <pre>
     *   sum_y mean_i BCE(sigmoid(s[i, y]), sigmoid(t[i, y]))  =  sum_{i, y} BCE(...) / batch
     * </pre>
     *
     * <p>FACIL adds it, weighted by {@code lamb = 1} (the paper has no trade-off), to the
     * cross-entropy over all classes seen so far. Unlike {@link #loss}, it grows with the number
     * of old classes.
     *
     * @param student the student's logits on the old classes, shape (batch, old classes)
     * @param teacher the previous model's logits, same shape; treated as constants
     * @return a scalar
     * @throws IllegalArgumentException if the shapes differ
     */
    public static NDArray sigmoidDistillation(NDArray student, NDArray teacher) {
        Checks.sameShape(student, "student", teacher, "teacher");
        NDArray targets = Activation.sigmoid(teacher.stopGradient()).toType(student.getDataType(), false);
        return bceWithLogits(student, targets).sum().div((float)
                student.getShape().get(0));
    }

    /** The element-wise binary cross-entropy of sigmoid(x) against y, in the stable form. */
    private static NDArray bceWithLogits(NDArray x, NDArray y) {
        NDArray softplus = x.abs().neg().exp().add(1f).log();
        return x.maximum(0f).sub(x.mul(y)).add(softplus);
    }
}
