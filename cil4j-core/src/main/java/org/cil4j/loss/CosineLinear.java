package org.cil4j.loss;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * The cosine-normalized classifier of LUCIR (Hou et al., Learning a Unified Classifier
 * Incrementally via Rebalancing, CVPR 2019, "cosine normalization"): the logit of class
 * {@code j} for feature {@code f} is {@code sigma * cos(f, w_j)}, so neither old nor new
 * classes can win by the magnitude of their weights alone.
 *
 * <p>Rows are L2-normalized as PyTorch's {@code F.normalize} does: {@code x / max(||x||,
 * 1e-12)}, so a zero row gives cosines of zero rather than NaN.
 */
public final class CosineLinear {
    /** The floor under a row's norm when normalizing, as in PyTorch's {@code F.normalize}. */
    public static final double EPSILON = 1e-12;

    private CosineLinear() {}

    /**
     * Cosine similarity between every feature and every class weight.
     *
     * @param features the features, shape (batch, dim)
     * @param weights the class weights, shape (classes, dim)
     * @return the matrix {@code cos(features_i, weights_j)}, shape (batch, classes)
     * @throws IllegalArgumentException if the arrays are not matrices of the same width
     */
    public static NDArray cosine(NDArray features, NDArray weights) {
        Checks.matrix(features, "features");
        Checks.matrix(weights, "weights");
        if (features.getShape().get(1) != weights.getShape().get(1)) {
            throw new IllegalArgumentException("features "
                    + features.getShape()
                    + " and weights "
                    + weights.getShape()
                    + " must have the same number of columns");
        }
        return normalizeRows(features).matMul(normalizeRows(weights).transpose());
    }

    /**
     * The scaled cosine logits {@code sigma * cos(features_i, weights_j)}.
     *
     * @param features the features, shape (batch, dim)
     * @param weights the class weights, shape (classes, dim)
     * @param sigma the scale (LUCIR learns it, starting from 1)
     * @return the logits, shape (batch, classes)
     * @throws IllegalArgumentException if the arrays are not matrices of the same width
     */
    public static NDArray logits(NDArray features, NDArray weights, double sigma) {
        return cosine(features, weights).mul((float) sigma);
    }

    /**
     * The scaled cosine logits with a learnable scale, as in LUCIR where {@code sigma} is a
     * parameter trained with the network.
     *
     * @param features the features, shape (batch, dim)
     * @param weights the class weights, shape (classes, dim)
     * @param sigma the scale, a scalar or one-element array; gradients flow into it
     * @return the logits, shape (batch, classes)
     * @throws IllegalArgumentException if the arrays are not matrices of the same width or
     *     {@code sigma} has more than one element
     */
    public static NDArray logits(NDArray features, NDArray weights, NDArray sigma) {
        Objects.requireNonNull(sigma, "sigma");
        if (sigma.size() != 1) {
            throw new IllegalArgumentException("sigma must have one element, got shape " + sigma.getShape());
        }
        return cosine(features, weights).mul(sigma.reshape(1, 1));
    }

    /**
     * Divides each row by its L2 norm, floored at {@link #EPSILON}.
     *
     * @param x a matrix
     * @return the row-normalized matrix
     */
    static NDArray normalizeRows(NDArray x) {
        return x.div(x.norm(new int[] {1}, true).maximum((float) EPSILON));
    }
}
