package org.cil4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Objects;

/**
 * PODNet's NCA loss on the local similarity classifier (Douillard et al., PODNet: Pooled Outputs
 * Distillation for Small-Tasks Incremental Learning, ECCV 2020, eq. 8), as the released code
 * computes it: {@code nca()} in the authors' {@code inclearn/lib/losses/base.py}, copied into
 * PyCIL's {@code models/podnet.py}.
 *
 * <p>With {@code z_j = eta s_j - delta [j = y]} ({@code s} the class similarities, {@code eta}
 * the learned scale, {@code delta} the margin on the true class's logit) and {@code M = max_j
 * z_j}, a sample's loss is
 *
 * <pre>{@code -(z_y - M) + log(1 + sum_{j != y} exp(z_j - M))}</pre>
 *
 * the mean over the batch. The true class is left out of the denominator (NCA) by setting its
 * shifted score to 0, so it stays there as {@code exp(0) = 1}: in the released code that term
 * bounds the loss below by 0 (when the true class leads it is the cross-entropy) where the
 * paper's formula without it would fall without bound as the scale grows. The paper's hinge
 * {@code [.]_+} is off in the released configs ({@code hinge_proxynca = False}) and here.
 *
 * <p>The margin: both releases pass {@code margin = 0.6} (the paper's {@code delta}) but subtract
 * it from every class's score, and the shift by {@code M} cancels it, so the code trains with no
 * margin at all. {@code margin = 0} is that loss exactly; a positive margin is the paper's, on
 * the true class only (the authors' docstring: "margin applied on the 'right' (numerator)
 * similarities"). It is subtracted from the scaled logit, as PyCIL applies it (to {@code sigma *
 * s} with {@code scale = 1}), not inside the scale as the authors' {@code scale * (s - margin)}:
 * with a learned scale that form rewards a negative scale (then {@code eta (s_y - delta)} grows
 * as {@code s_y} falls), and a run with {@code delta = 0.6} drove {@code sigma} to -3.8 in the
 * first phase.
 */
public final class Nca {
    /** The paper's and the released configs' margin {@code delta = 0.6}. */
    public static final double PAPER_MARGIN = 0.6;

    private Nca() {}

    /**
     * @param similarities class similarities before the scale, (batch, classes)
     * @param scale the learned scale {@code eta}, one element; gradients flow into it
     * @param labels class indices in [0, classes), shape (batch)
     * @param margin {@code delta}, subtracted from the true class's scaled logit, finite
     * @return a scalar, the mean over the batch
     * @throws IllegalArgumentException if the shapes disagree or a label is out of range
     */
    public static NDArray loss(NDArray similarities, NDArray scale, NDArray labels, double margin) {
        Checks.matrix(similarities, "similarities");
        Objects.requireNonNull(scale, "scale");
        if (scale.size() != 1) {
            throw new IllegalArgumentException("scale must have one element, got shape " + scale.getShape());
        }
        if (!Double.isFinite(margin)) {
            throw new IllegalArgumentException("margin must be finite, got " + margin);
        }
        long classes = similarities.getShape().get(1);
        NDArray index = Checks.labels(labels, similarities.getShape().get(0), classes); // (batch, 1)
        NDArray isTrue = index.eq(similarities
                        .getManager()
                        .arange(0, (float) classes, 1, DataType.INT64)
                        .reshape(1, classes))
                .toType(similarities.getDataType(), false);
        NDArray z = similarities.mul(scale.reshape(1, 1)).sub(isTrue.mul((float) margin));
        NDArray shifted = z.sub(z.max(new int[] {1}, true));
        NDArray numerator = shifted.mul(isTrue).sum(new int[] {1});
        NDArray denominator =
                shifted.mul(isTrue.neg().add(1f)).exp().sum(new int[] {1}).log();
        return denominator.sub(numerator).mean();
    }
}
