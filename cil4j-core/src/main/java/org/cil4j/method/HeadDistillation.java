package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.cil4j.loss.Distillation;

/**
 * Distillation of a network's heads toward a teacher's, the shared term of LwF and DR, built on
 * {@link Distillation#kd}.
 *
 * <p>In the multi-task setting each head has its own softmax, so each old head is distilled
 * separately and the terms are summed over the old tasks (Li &amp; Hoiem, ECCV 2016, eq. 2
 * sums {@code L_old} over the old tasks; Hou et al., ECCV 2018, do the same). In the
 * multi-class setting there is one softmax over all classes, so the old classes are distilled
 * together, as one distribution.
 */
public final class HeadDistillation {
    private HeadDistillation() {}

    /**
     * Distills the first {@code oldHeads} heads.
     *
     * @param student the student's logits, (batch, classes of at least the old heads)
     * @param teacher the teacher's logits on the same images, (batch, classes of the old heads
     *     or more); treated as constants
     * @param headSizes classes of each head, in order
     * @param oldHeads how many leading heads to distill (at least 1)
     * @param perHead true (multi-task): one term per head, summed; false (multi-class): one term
     *     over all old classes together
     * @param temperature the temperature
     * @return the unweighted scalar, {@code T^2}-scaled KL as {@link Distillation#kd}
     */
    public static NDArray oldHeads(
            NDArray student,
            NDArray teacher,
            List<Integer> headSizes,
            int oldHeads,
            boolean perHead,
            double temperature) {
        if (oldHeads < 1 || oldHeads > headSizes.size()) {
            throw new IllegalArgumentException("oldHeads must be in [1, " + headSizes.size() + "], got " + oldHeads);
        }
        if (!perHead) {
            int old = 0;
            for (int h = 0; h < oldHeads; h++) {
                old += headSizes.get(h);
            }
            return head(student, teacher, 0, old, temperature);
        }
        NDArray sum = null;
        int offset = 0;
        for (int h = 0; h < oldHeads; h++) {
            NDArray term = head(student, teacher, offset, headSizes.get(h), temperature);
            sum = sum == null ? term : sum.add(term);
            offset += headSizes.get(h);
        }
        return sum;
    }

    /**
     * Distills one block of outputs, {@code [offset, offset + size)} (one head), of the student
     * toward the same block of the teacher.
     *
     * @param student the student's logits
     * @param teacher the teacher's logits, with the same column layout
     * @param offset first column
     * @param size number of columns
     * @param temperature the temperature
     * @return the unweighted scalar
     */
    public static NDArray head(NDArray student, NDArray teacher, int offset, int size, double temperature) {
        return Distillation.kd(slice(student, offset, size), slice(teacher, offset, size), temperature);
    }

    /**
     * @param logits (batch, classes)
     * @param offset first column
     * @param size number of columns
     * @return the columns {@code [offset, offset + size)}, the array itself when it is exactly
     *     that block
     */
    public static NDArray slice(NDArray logits, int offset, int size) {
        if (offset == 0 && logits.getShape().get(1) == size) {
            return logits;
        }
        return logits.get(":, " + offset + ":" + (offset + size));
    }
}
