package org.cil4j.loss;

import ai.djl.ndarray.NDArray;

/**
 * Knowledge distillation between the softened outputs of a student (the model being trained)
 * and a teacher (the frozen model of the previous phase).
 *
 * <p>Both outputs are divided by a temperature {@code T} before the softmax: {@code p^T =
 * softmax(z / T)}. The teacher's outputs are constants (no gradient flows into them). One
 * implementation serves every method:
 *
 * <ul>
 *   <li>{@link #kl} is the batch mean of {@code KL(p_teacher^T || p_student^T)};
 *   <li>{@link #kd} is {@code T^2} times that, the distillation term of Learning without
 *       Forgetting (Li &amp; Hoiem, ECCV 2016) and Distillation and Retrospection (Hou et al.,
 *       ECCV 2018); the {@code T^2} factor (Hinton et al., 2015) keeps the gradient's scale
 *       independent of {@code T};
 *   <li>{@link #softCrossEntropy} is the batch mean of {@code -sum p_teacher^T log
 *       p_student^T}, which differs from the KL divergence by the teacher's entropy, a
 *       constant;
 *   <li>{@link #scores} is the batch mean of {@code sum_c (s_c - s*_c)^2}, the distillation of
 *       LUCIR with cosine normalization: no softmax and no temperature, the student's scores
 *       are pulled toward the teacher's.
 * </ul>
 *
 * <p>All take outputs of shape (batch, classes), both of the same shape; the first three
 * compute in log space. Teacher outputs must be finite.
 */
public final class Distillation {
    /**
     * The default temperature, {@code T = 2}, used by Li &amp; Hoiem (Learning without
     * Forgetting, ECCV 2016, section 3) and Hou et al. (Lifelong Learning via Progressive
     * Distillation and Retrospection, ECCV 2018).
     */
    public static final double DEFAULT_TEMPERATURE = 2.0;

    private Distillation() {}

    /**
     * Batch mean of {@code KL(p_teacher^T || p_student^T)}.
     *
     * @param student the student's logits, shape (batch, classes)
     * @param teacher the teacher's logits, same shape; treated as constants
     * @param temperature the temperature {@code T > 0}
     * @return a scalar: {@code mean_i sum_c p_t[i,c] (log p_t[i,c] - log p_s[i,c])}
     * @throws IllegalArgumentException if the shapes differ or the temperature is not positive
     */
    public static NDArray kl(NDArray student, NDArray teacher, double temperature) {
        Checks.sameShape(student, "student", teacher, "teacher");
        Checks.temperature(temperature);
        NDArray logStudent = student.div((float) temperature).logSoftmax(1);
        NDArray logTeacher = teacher.stopGradient().div((float) temperature).logSoftmax(1);
        return logTeacher
                .exp()
                .mul(logTeacher.sub(logStudent))
                .sum(new int[] {1})
                .mean();
    }

    /**
     * The distillation term of LwF and DR: {@code T^2 * kl(student, teacher, T)}.
     *
     * @param student the student's logits, shape (batch, classes)
     * @param teacher the teacher's logits, same shape; treated as constants
     * @param temperature the temperature {@code T > 0}
     * @return a scalar: {@code T^2} times the batch-mean KL divergence
     * @throws IllegalArgumentException if the shapes differ or the temperature is not positive
     */
    public static NDArray kd(NDArray student, NDArray teacher, double temperature) {
        return kl(student, teacher, temperature).mul((float) (temperature * temperature));
    }

    /**
     * The distillation term of LwF and DR at the {@linkplain #DEFAULT_TEMPERATURE default
     * temperature} {@code T = 2}.
     *
     * @param student the student's logits, shape (batch, classes)
     * @param teacher the teacher's logits, same shape; treated as constants
     * @return a scalar: {@code 4 * kl(student, teacher, 2)}
     * @throws IllegalArgumentException if the shapes differ
     */
    public static NDArray kd(NDArray student, NDArray teacher) {
        return kd(student, teacher, DEFAULT_TEMPERATURE);
    }

    /**
     * Batch mean of the cross-entropy of the student's softened distribution against the
     * teacher's: {@code -sum_c p_teacher^T log p_student^T}.
     *
     * @param student the student's logits, shape (batch, classes)
     * @param teacher the teacher's logits, same shape; treated as constants
     * @param temperature the temperature {@code T > 0}
     * @return a scalar: {@code -mean_i sum_c p_t[i,c] log p_s[i,c]}
     * @throws IllegalArgumentException if the shapes differ or the temperature is not positive
     */
    public static NDArray softCrossEntropy(NDArray student, NDArray teacher, double temperature) {
        Checks.sameShape(student, "student", teacher, "teacher");
        Checks.temperature(temperature);
        NDArray logStudent = student.div((float) temperature).logSoftmax(1);
        NDArray teacherProbs = teacher.stopGradient().div((float) temperature).softmax(1);
        return teacherProbs.mul(logStudent).sum(new int[] {1}).mean().neg();
    }

    /**
     * The distillation of LUCIR without the less-forget constraint (Hou et al., CVPR 2019, the
     * "CN" row of Table 3): the squared differences between the student's and the teacher's
     * cosine scores on the old classes (before the scale {@code sigma}), summed over the classes
     * and averaged over the batch. The released code's {@code --mimic_score} computes it as
     * {@code MSELoss(old_scores, ref_scores) * num_old_classes}, FACIL's LUCIR likewise when the
     * less-forget constraint is removed; the scores lie in [-1, 1], so no temperature is needed.
     *
     * @param student the student's scores on the old classes, shape (batch, classes)
     * @param teacher the teacher's scores, same shape; treated as constants
     * @return a scalar: {@code mean_i sum_c (student[i,c] - teacher[i,c])^2}
     * @throws IllegalArgumentException if the shapes differ
     */
    public static NDArray scores(NDArray student, NDArray teacher) {
        Checks.sameShape(student, "student", teacher, "teacher");
        NDArray diff = student.sub(teacher.stopGradient());
        return diff.mul(diff).sum(new int[] {1}).mean();
    }
}
