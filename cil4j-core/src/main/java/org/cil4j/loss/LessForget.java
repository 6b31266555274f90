package org.cil4j.loss;

import ai.djl.ndarray.NDArray;

/**
 * The less-forget constraint of LUCIR (Hou et al., Learning a Unified Classifier Incrementally
 * via Rebalancing, CVPR 2019): features of the new model should point the same way as
 * those of the old model, measured by {@code 1 - cos(f_old, f_new)}, with a weight that grows
 * with the ratio of old to new classes (eq. 7).
 */
public final class LessForget {
    private LessForget() {}

    /**
     * Mean over the batch of {@code 1 - cos(f_old, f_new)}.
     *
     * <p>Rows are L2-normalized as in {@link CosineLinear} (norm floored at 1e-12). This equals
     * PyTorch's {@code CosineEmbeddingLoss} with target 1 up to that floor.
     *
     * @param oldFeatures the old model's (normalized or not) features, shape (batch, dim);
     *     treated as constants
     * @param newFeatures the new model's features, same shape
     * @return a scalar in [0, 2]
     * @throws IllegalArgumentException if the shapes differ
     */
    public static NDArray loss(NDArray oldFeatures, NDArray newFeatures) {
        Checks.sameShape(oldFeatures, "oldFeatures", newFeatures, "newFeatures");
        NDArray a = CosineLinear.normalizeRows(oldFeatures.stopGradient());
        NDArray b = CosineLinear.normalizeRows(newFeatures);
        return a.mul(b).sum(new int[] {1}).neg().add(1).mean();
    }

    /**
     * The adaptive weight of the less-forget term, {@code lambda = lambda_base * sqrt(|C_old| /
     * |C_new|)} (LUCIR, eq. 7; the paper uses {@code lambda_base = 5} on CIFAR-100).
     *
     * @param base {@code lambda_base}, at least 0
     * @param numOld the number of old classes, at least 0
     * @param numNew the number of new classes in this phase, at least 1
     * @return the weight
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static double adaptiveLambda(double base, int numOld, int numNew) {
        if (!(base >= 0) || Double.isInfinite(base)) {
            throw new IllegalArgumentException("base must be finite and >= 0, got " + base);
        }
        if (numOld < 0) {
            throw new IllegalArgumentException("numOld must be >= 0, got " + numOld);
        }
        if (numNew < 1) {
            throw new IllegalArgumentException("numNew must be >= 1, got " + numNew);
        }
        return base * Math.sqrt((double) numOld / numNew);
    }
}
